import { defineConfig, type Options } from 'tsup';

// One build for every package and app: ESM with declarations, one entry per public subpath.
export function build(entry: string[], extra: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    ...extra,
  });
}
