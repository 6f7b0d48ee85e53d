import { fromJSON, type PackageDefinition } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import PFS_PROTO from './pfs.proto';

/**
 * Parses a .proto text (its google/protobuf imports come from protobufjs's bundled well-known types)
 * into a package definition for @grpc/grpc-js, with the options every pfs message type here assumes:
 * field names as written, 64-bit integers and enums as strings, defaults filled in, oneof names set.
 */
export function packageDefinitionOf(protoText: string): PackageDefinition {
  const root = new protobuf.Root();
  const parsed = protobuf.parse(protoText, root, { keepCase: true });
  for (const file of parsed.imports ?? []) {
    const common = protobuf.common.get(file);
    if (!common) throw new Error(`pfs.proto imports ${file}, which protobufjs does not bundle`);
    root.addJSON(common.nested ?? {});
  }
  root.resolveAll();
  return fromJSON(root.toJSON(), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
}

/** The pfs_v2 package definition this client speaks (src/pachyderm/pfs.proto). */
export function pfsPackageDefinition(): PackageDefinition {
  return packageDefinitionOf(PFS_PROTO);
}
