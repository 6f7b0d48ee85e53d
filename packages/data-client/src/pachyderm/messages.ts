// The pfs_v2 messages this client sends and reads, as @grpc/proto-loader hands them over with the options
// of proto.ts (keepCase, int64 and enums as strings, defaults filled in): one interface per message of
// pfs.proto, optional where proto3 leaves a sub-message unset.

export interface Timestamp {
  seconds: string;
  nanos: number;
}
export interface Project {
  name: string;
}
export interface Repo {
  name: string;
  type: string;
  project?: Project | null;
}
export interface Branch {
  repo?: Repo | null;
  name: string;
}
export interface Commit {
  repo?: Repo | null;
  id: string;
  branch?: Branch | null;
}
export interface File {
  commit?: Commit | null;
  path: string;
  datum?: string;
}
export interface RepoInfo {
  repo: Repo;
  created?: Timestamp | null;
  size_bytes_upper_bound: string;
  description: string;
  branches: Branch[];
  details?: { size_bytes: string } | null;
}
export type CommitState = 'COMMIT_STATE_UNKNOWN' | 'STARTED' | 'READY' | 'FINISHING' | 'FINISHED';
export interface CommitInfo {
  commit: Commit;
  origin?: { kind: string } | null;
  description: string;
  parent_commit?: Commit | null;
  started?: Timestamp | null;
  finishing?: Timestamp | null;
  finished?: Timestamp | null;
  error: string;
  size_bytes_upper_bound: string;
  details?: { size_bytes: string } | null;
  created_by: string;
}
export interface FileInfo {
  file: File;
  file_type: 'RESERVED' | 'FILE' | 'DIR';
  committed?: Timestamp | null;
  size_bytes: string;
  hash: Buffer;
}
export interface DiffFileResponse {
  new_file?: FileInfo | null;
  old_file?: FileInfo | null;
}
export type ModifyFileRequest =
  | { set_commit: Commit }
  | { add_file: { path: string; datum: string; raw: { value: Uint8Array } } }
  | { delete_file: { path: string; datum: string } };
export interface BytesValue {
  value: Buffer;
}

/** The unary calls of pfs_v2.API this client makes: request → response. */
export interface UnaryCalls {
  CreateProject: [{ project: Project; description: string; update: boolean }, object];
  InspectProject: [{ project: Project }, { project: Project }];
  CreateRepo: [{ repo: Repo; description: string; update: boolean }, object];
  InspectRepo: [{ repo: Repo }, RepoInfo];
  DeleteRepo: [{ repo: Repo; force: boolean }, { deleted: boolean }];
  InspectCommit: [{ commit: Commit; wait: CommitState }, CommitInfo];
  InspectFile: [{ file: File }, FileInfo];
}

/** The server-streaming calls: request → each streamed message. */
export interface StreamCalls {
  ListRepo: [{ type: string; projects: Project[] }, RepoInfo];
  ListCommit: [{ repo: Repo; number: string; all: boolean }, CommitInfo];
  GetFile: [{ file: File; URL: string; offset: string }, BytesValue];
  ListFile: [{ file: File }, FileInfo];
  WalkFile: [{ file: File }, FileInfo];
  DiffFile: [{ new_file: File; old_file: File; shallow: boolean }, DiffFileResponse];
}
