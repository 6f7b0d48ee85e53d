// ModifyFile of the in-test pachd: how pachd v2.11.6 takes a stream of file changes
// (src/server/pfs/server/api_server.go, ModifyFile; driver_file.go, modifyFile / oneOffModifyFile).
import * as grpc from '@grpc/grpc-js';
import {
  cleanPath,
  type FakeCommit,
  type FileOp,
  type Msg,
  PachdError,
  type PachdState,
  toServiceError,
} from './state.js';

const err = toServiceError;

export function modifyFileHandler(state: PachdState, user: (meta: grpc.Metadata) => string, stall: boolean) {
  /** driver_file.go, modifyFile: an open commit takes the writes; a finished head gets a new child commit. */
  function chooseTarget(commit: Msg): { open: FakeCommit } | { branch: Msg } {
    const repoMsgIn = commit?.repo?.name ? commit.repo : commit?.branch?.repo;
    if (!repoMsgIn?.name) throw new PachdError(grpc.status.UNKNOWN, 'commit must have a repo');
    const branchName =
      commit.branch?.name || (commit.id && !/^[0-9a-f]{32}$/.test(commit.id) ? commit.id : '');
    const branch = { repo: repoMsgIn, name: branchName };
    let c: FakeCommit;
    try {
      c = state.resolve(commit);
    } catch (e) {
      if (!(e instanceof PachdError) || e.code !== grpc.status.NOT_FOUND || !branchName) throw e;
      state.repoOf(repoMsgIn);
      return { branch };
    }
    if (c.finishing) {
      if (commit.id && !commit.branch?.name && /^[0-9a-f]{32}$/.test(commit.id)) {
        throw new PachdError(
          grpc.status.UNKNOWN,
          `commit ${c.project}/${c.repo}@${c.id} has already finished`,
        );
      }
      return { branch };
    }
    return { open: c };
  }

  return (call: grpc.ServerReadableStream<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
    if (stall) return;
    let who: string;
    try {
      who = user(call.metadata);
    } catch (e) {
      return cb(err(e));
    }
    let target: { open: FakeCommit } | { branch: Msg } | undefined;
    const ops: FileOp[] = [];
    let failed = false;
    const stop = (e: unknown) => {
      if (failed) return;
      failed = true;
      cb(err(e));
    };
    call.on('data', (m: Msg) => {
      if (failed) return;
      try {
        if (!target) {
          // api_server.go, readCommit: the first message names the commit, checked by checkCommit.
          if (m.body !== 'set_commit')
            throw new PachdError(grpc.status.UNKNOWN, 'first message must be a commit');
          target = chooseTarget(m.set_commit);
        } else if (m.body === 'set_commit') throw new PachdError(grpc.status.UNKNOWN, 'cannot set commit');
        else if (m.body === 'delete_file') ops.push({ op: 'delete', path: cleanPath(m.delete_file.path) });
        else if (m.body === 'add_file')
          ops.push({
            op: 'add',
            path: cleanPath(m.add_file.path),
            data: Buffer.from(m.add_file.raw?.value ?? []),
          });
        else throw new PachdError(grpc.status.UNIMPLEMENTED, `${m.body} is not served by the in-test pachd`);
      } catch (e) {
        stop(e);
      }
    });
    // A stream that ends early (client killed, cancelled, deadline) is dropped: nothing was committed.
    call.on('cancelled', () => {
      failed = true;
    });
    call.on('error', () => {
      failed = true;
    });
    // grpc-js ends the request stream of a reset call too, and reports the reset just after: only a
    // stream still alive a turn later was half-closed by its client (pachd's Recv sees io.EOF).
    call.on('end', () => setImmediate(finish));
    const finish = () => {
      if (failed || call.cancelled) return;
      try {
        if (!target) throw new PachdError(grpc.status.UNKNOWN, 'first message must be a commit');
        if ('open' in target) {
          if (target.open.finishing)
            throw new PachdError(grpc.status.UNKNOWN, `commit ${target.open.id} has already finished`);
          state.apply(target.open.files, ops);
        } else {
          // driver_file.go, oneOffModifyFile: the file set is written first, then the commit is started,
          // given the file set and finished in one transaction.
          const c = state.startCommit(target.branch, '', who);
          state.apply(c.files, ops);
          state.finishCommit(c);
        }
        cb(null, {});
      } catch (e) {
        cb(err(e));
      }
    };
  };
}
