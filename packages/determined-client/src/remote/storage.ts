// Where a trial on a Determined cluster writes checkpoints and where they are read back, per the
// experiment's `checkpoint_storage` (master/pkg/schemas/expconf/storage_config.go at v0.38.1).
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { listFileSizes } from '@fmnist/fs-kit';
import { DeterminedError } from '../errors.js';
import { copyCheckpointDir } from '../internal/checkpoint-dir.js';

/** expconf.DefaultSharedFSContainerPath: where the master mounts a shared_fs `host_path` in the container. */
export const SHARED_FS_CONTAINER_PATH = '/determined_shared_fs';
const DEFAULT_STORAGE_PATH = 'determined-checkpoint';
export const SUPPORTED_STORAGE = ['shared_fs', 's3'] as const;

export interface CheckpointStorage {
  /** Copies the files of `dir` as checkpoint `uuid`; returns relative path → size. */
  upload(dir: string, uuid: string): Promise<Record<string, number>>;
  /** The checkpoint's files as a local directory, or null when this machine cannot see them. */
  download(uuid: string, dest: string): Promise<string | null>;
}

export interface StorageOptions {
  /** Where the shared_fs mount is in this container (default /determined_shared_fs). */
  sharedFsContainerPath?: string;
}

type Obj = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/**
 * shared_fs: in a trial container the master mounts `host_path` at /determined_shared_fs
 * (master/pkg/tasks/task_trial.go), so checkpoints go to /determined_shared_fs/<storage_path>/<uuid>;
 * on the user's machine (no such mount) the same files are under host_path/<storage_path>/<uuid>.
 */
function sharedFs(s: Obj, opts: StorageOptions): CheckpointStorage {
  const hostPath = str(s.host_path);
  if (!hostPath) {
    throw new DeterminedError('STORAGE', 'checkpoint_storage.host_path is required for shared_fs storage');
  }
  const storagePath = str(s.storage_path) ?? DEFAULT_STORAGE_PATH;
  const mount = opts.sharedFsContainerPath ?? SHARED_FS_CONTAINER_PATH;
  const root = () => join(existsSync(mount) ? mount : hostPath, storagePath);
  return {
    async upload(dir, uuid) {
      await mkdir(root(), { recursive: true });
      return copyCheckpointDir(dir, join(root(), uuid));
    },
    async download(uuid) {
      const d = join(root(), uuid);
      return existsSync(d) ? d : null;
    },
  };
}

/**
 * s3: objects `<prefix>/<uuid>/<path>` in `bucket` (the harness's S3StorageManager layout); the
 * endpoint and keys from the config, else the usual AWS variables and files.
 */
function s3(s: Obj): CheckpointStorage {
  const bucket = str(s.bucket);
  if (!bucket) throw new DeterminedError('STORAGE', 'checkpoint_storage.bucket is required for s3 storage');
  const prefix = (str(s.prefix) ?? '').replace(/^\/+|\/+$/g, '');
  const endpoint = str(s.endpoint_url);
  const accessKeyId = str(s.access_key);
  const secretAccessKey = str(s.secret_key);
  const client = new S3Client({
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    // S3-compatible servers (MinIO, Ceph, s3rver) do not all take the SDK's default aws-chunked checksummed
    // uploads; S3 itself does not need them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
  });
  const key = (uuid: string, rel = '') => posix.join(prefix, uuid, rel);
  const fail = (what: string, e: unknown) =>
    new DeterminedError(
      'STORAGE',
      `${what} s3://${bucket}/${key('')}: ${(e as Error).message}`,
      'Check checkpoint_storage (bucket, endpoint_url) and the credentials (access_key/secret_key or AWS_*).',
      { cause: e },
    );
  return {
    async upload(dir, uuid) {
      const files = await listFileSizes(dir);
      try {
        for (const rel of Object.keys(files)) {
          await client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key(uuid, rel),
              Body: createReadStream(join(dir, rel)),
              ContentLength: files[rel],
            }),
          );
        }
      } catch (e) {
        throw fail(`cannot upload checkpoint ${uuid} to`, e);
      }
      return files;
    },
    async download(uuid, dest) {
      try {
        let token: string | undefined;
        let any = false;
        do {
          const page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: `${key(uuid)}/`, ContinuationToken: token }),
          );
          for (const o of page.Contents ?? []) {
            const rel = o.Key!.slice(key(uuid).length + 1);
            if (!rel || rel.split('/').includes('..')) continue;
            const obj = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
            const to = join(dest, rel);
            await mkdir(dirname(to), { recursive: true });
            await writeFile(to, await obj.Body!.transformToByteArray());
            any = true;
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return any ? dest : null;
      } catch (e) {
        throw fail(`cannot download checkpoint ${uuid} from`, e);
      }
    },
  };
}

/** The storage a config names; any other type is refused, naming the ones supported. */
export function checkpointStorage(config: Obj | null, opts: StorageOptions = {}): CheckpointStorage {
  const s = config ?? {};
  if (s.type === 'shared_fs') return sharedFs(s, opts);
  if (s.type === 's3') return s3(s);
  throw new DeterminedError(
    'UNSUPPORTED',
    `checkpoint_storage type ${JSON.stringify(s.type ?? null)} cannot be written by this trial; supported: ${SUPPORTED_STORAGE.join(', ')}`,
    'Set checkpoint_storage to {type: shared_fs, host_path: ...} or {type: s3, bucket: ...}.',
  );
}
