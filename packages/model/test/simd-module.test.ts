import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SIMD_MODULE } from '../src/kernels/simd/module.js';
// @ts-expect-error: a plain JavaScript build script without type declarations
import { clangVersion, compile, sourceSha256 } from '../wasm/build.mjs';

interface WasmReflection {
  Module: {
    new (bytes: Uint8Array): object;
    imports(m: object): { module: string; name: string; kind: string }[];
    exports(m: object): { name: string; kind: string }[];
  };
}
const { Module } = (globalThis as unknown as { WebAssembly: WasmReflection }).WebAssembly;
const bytes = Buffer.from(SIMD_MODULE.base64, 'base64');

/** Section ids of a wasm binary, in order (https://webassembly.github.io/spec/core/binary/modules.html). */
function sectionIds(wasm: Buffer): number[] {
  const ids: number[] = [];
  let off = 8;
  while (off < wasm.length) {
    const id = wasm[off++]!;
    let size = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = wasm[off++]!;
      size |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    ids.push(id);
    off += size;
  }
  return ids;
}

function hasClang(): string | undefined {
  try {
    execFileSync('wasm-ld', ['--version'], { stdio: 'ignore' });
    return clangVersion();
  } catch {
    return undefined;
  }
}

describe('the committed SIMD kernels module', () => {
  it('was built from the current wasm/*.c sources', () => {
    expect(SIMD_MODULE.sourceSha256, 'run: node packages/model/wasm/build.mjs').toBe(sourceSha256());
  });

  it('imports only the tfjs heap and carries no data that would be written into it', () => {
    const mod = new Module(bytes);
    expect(Module.imports(mod)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    expect(sectionIds(bytes)).not.toContain(11); // data
    expect(Module.exports(mod).map((e) => e.name)).toEqual(
      expect.arrayContaining([
        'transpose2d',
        'im2col_t',
        'sum_rows',
        'max_pool_grad_2x2',
        'max_pool_grad',
        'max_pool_2x2',
        'winograd_filter_transform',
        'winograd_conv2d',
        'winograd_conv2d_backprop_filter',
        'winograd_conv2d_backprop_input',
        'gemm',
        'adam_step',
        'relu_grad',
        'batch_norm_train',
        'batch_norm_train_grad',
      ]),
    );
  });

  const clang = hasClang();
  it.skipIf(clang !== SIMD_MODULE.compiler)(
    `is what ${SIMD_MODULE.compiler} builds from it (skipped without that clang and lld: apt-get install -y clang lld)`,
    () => {
      expect(Buffer.compare(compile(), bytes)).toBe(0);
    },
  );
});
