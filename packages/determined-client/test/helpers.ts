import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

/** Bundles a TypeScript fixture to an ESM script a child `node` can run (deps resolve from this package). */
export async function bundleFixture(name: string): Promise<string> {
  const outDir = join(import.meta.dirname, '..', 'node_modules', '.fixtures');
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, `${name}-${process.pid}.mjs`);
  await build({
    entryPoints: [join(import.meta.dirname, 'fixtures', `${name}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}
