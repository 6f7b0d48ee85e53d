import { fromJSON, type PackageDefinition } from '@grpc/proto-loader';
import protobuf from 'protobufjs';

// The subset of Pachyderm's pfs_v2 API (src/pfs/pfs.proto) this client speaks: the same package,
// service, message names and field numbers, so it is wire-compatible with pachd. Embedded as text
// so the built package needs no files beside its JavaScript.
const WELL_KNOWN = `
syntax = "proto3";
package google.protobuf;
message Empty {}
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message BytesValue { bytes value = 1; }
`;

export const PFS_PROTO = `
syntax = "proto3";
package pfs_v2;

message Project { string name = 1; }
message Repo { string name = 1; string type = 2; Project project = 3; }
message Branch { Repo repo = 1; string name = 2; }
message Commit { Branch branch = 1; string id = 2; Repo repo = 3; }
message CommitSet { string id = 1; }
message File { Commit commit = 1; string path = 2; string datum = 3; }

message RepoInfo {
  Repo repo = 1;
  google.protobuf.Timestamp created = 2;
  int64 size_bytes_upper_bound = 3;
  string description = 4;
  repeated Branch branches = 5;
  message Details { int64 size_bytes = 1; }
  Details details = 7;
}

enum OriginKind { ORIGIN_KIND_UNKNOWN = 0; USER = 1; AUTO = 2; FSCK = 3; ALIAS = 4; }
message CommitOrigin { OriginKind kind = 1; }

message CommitInfo {
  Commit commit = 1;
  CommitOrigin origin = 2;
  string description = 3;
  Commit parent_commit = 4;
  repeated Commit child_commits = 5;
  google.protobuf.Timestamp started = 6;
  google.protobuf.Timestamp finishing = 7;
  google.protobuf.Timestamp finished = 8;
  string error = 10;
  int64 size_bytes_upper_bound = 11;
  message Details { int64 size_bytes = 1; }
  Details details = 12;
}

enum FileType { RESERVED = 0; FILE = 1; DIR = 2; }
message FileInfo {
  File file = 1;
  FileType file_type = 2;
  google.protobuf.Timestamp committed = 3;
  int64 size_bytes = 4;
  bytes hash = 5;
}

message CreateRepoRequest { Repo repo = 1; string description = 2; bool update = 3; }
message InspectRepoRequest { Repo repo = 1; }
message ListRepoRequest { string type = 1; }
message DeleteRepoRequest { Repo repo = 1; bool force = 2; }

enum CommitState { COMMIT_STATE_UNKNOWN = 0; STARTED = 1; READY = 2; FINISHING = 3; FINISHED = 4; }
message StartCommitRequest { Commit parent = 1; string description = 2; Branch branch = 3; }
message FinishCommitRequest { Commit commit = 1; string description = 2; string error = 3; bool force = 4; }
message InspectCommitRequest { Commit commit = 1; CommitState wait = 2; }
message ListCommitRequest {
  Repo repo = 1;
  Commit from = 2;
  Commit to = 3;
  int64 number = 4;
  bool reverse = 5;
  bool all = 6;
  OriginKind origin_kind = 7;
}
message DropCommitSetRequest { CommitSet commit_set = 1; }

message AddFile {
  string path = 1;
  string datum = 2;
  oneof source { google.protobuf.BytesValue raw = 3; }
}
message DeleteFile { string path = 1; string datum = 2; }
message ModifyFileRequest {
  oneof body {
    Commit set_commit = 1;
    AddFile add_file = 2;
    DeleteFile delete_file = 3;
  }
}
message CreateFileSetResponse { string file_set_id = 1; }
message AddFileSetRequest { Commit commit = 1; string file_set_id = 2; }

message GetFileRequest { File file = 1; string URL = 2; int64 offset = 3; }
message InspectFileRequest { File file = 1; }
message ListFileRequest { File file = 1; File paginationMarker = 3; int64 number = 4; bool reverse = 5; }
message DiffFileRequest { File new_file = 1; File old_file = 2; bool shallow = 3; }
message DiffFileResponse { FileInfo new_file = 1; FileInfo old_file = 2; }

service API {
  rpc CreateRepo(CreateRepoRequest) returns (google.protobuf.Empty) {}
  rpc InspectRepo(InspectRepoRequest) returns (RepoInfo) {}
  rpc ListRepo(ListRepoRequest) returns (stream RepoInfo) {}
  rpc DeleteRepo(DeleteRepoRequest) returns (google.protobuf.Empty) {}
  rpc StartCommit(StartCommitRequest) returns (Commit) {}
  rpc FinishCommit(FinishCommitRequest) returns (google.protobuf.Empty) {}
  rpc InspectCommit(InspectCommitRequest) returns (CommitInfo) {}
  rpc ListCommit(ListCommitRequest) returns (stream CommitInfo) {}
  rpc DropCommitSet(DropCommitSetRequest) returns (google.protobuf.Empty) {}
  rpc ModifyFile(stream ModifyFileRequest) returns (google.protobuf.Empty) {}
  rpc GetFile(GetFileRequest) returns (stream google.protobuf.BytesValue) {}
  rpc InspectFile(InspectFileRequest) returns (FileInfo) {}
  rpc ListFile(ListFileRequest) returns (stream FileInfo) {}
  rpc DiffFile(DiffFileRequest) returns (stream DiffFileResponse) {}
  rpc CreateFileSet(stream ModifyFileRequest) returns (CreateFileSetResponse) {}
  rpc AddFileSet(AddFileSetRequest) returns (google.protobuf.Empty) {}
}
`;

/** The pfs_v2 package definition for @grpc/grpc-js (clients and test servers alike). */
export function pfsPackageDefinition(): PackageDefinition {
  const root = new protobuf.Root();
  protobuf.parse(WELL_KNOWN, root, { keepCase: true });
  protobuf.parse(PFS_PROTO, root, { keepCase: true });
  root.resolveAll();
  return fromJSON(root.toJSON(), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
}
