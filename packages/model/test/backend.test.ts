import { afterEach, describe, expect, it } from 'vitest';
import { currentBackend, initBackend, resetBackendChoice } from '../src/index.js';

afterEach(() => {
  resetBackendChoice();
  delete process.env.FMNIST_BACKEND;
});

describe('backend choice', () => {
  it('falls back to wasm when tfjs-node is not installed', async () => {
    const choice = await initBackend({ loadNode: async () => false });
    expect(choice.name).toBe('wasm');
    expect(choice.reason).toMatch(/tfjs-node is not installed or did not load/);
    expect(currentBackend()).toBe('wasm');
  });

  it('falls back when tfjs-node is installed but fails to load', async () => {
    const choice = await initBackend({
      loadNode: async () => {
        try {
          throw new Error('libtensorflow.so: cannot open shared object file');
        } catch {
          return false;
        }
      },
    });
    expect(choice.name).toBe('wasm');
  });

  it('takes FMNIST_BACKEND as an order', async () => {
    process.env.FMNIST_BACKEND = 'cpu';
    const choice = await initBackend({ loadNode: async () => false });
    expect(choice).toEqual({ name: 'cpu', reason: 'FMNIST_BACKEND' });
    expect(currentBackend()).toBe('cpu');
  });

  it('refuses a forced backend that cannot load instead of silently using another', async () => {
    await expect(initBackend({ prefer: 'node', loadNode: async () => false })).rejects.toThrow(
      /no TensorFlow.js backend could be used: node: @tensorflow\/tfjs-node is not installed/,
    );
  });

  it('rejects an unknown backend name, listing the known ones', async () => {
    await expect(initBackend({ prefer: 'gpu' })).rejects.toMatchObject({
      code: 'BAD_BACKEND',
      message: expect.stringMatching(/"gpu" is not a backend; use one of node, wasm, cpu/),
    });
  });

  it('chooses once per process', async () => {
    const first = initBackend({ prefer: 'wasm' });
    expect(initBackend({ prefer: 'cpu' })).toBe(first);
    expect((await first).name).toBe('wasm');
  });
});
