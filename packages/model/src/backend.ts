import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { ModelError } from './errors.js';
import { registerWasmTrainingKernels } from './kernels/index.js';

export type BackendName = 'node' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['node', 'wasm', 'cpu'];

export interface BackendChoice {
  name: BackendName;
  /** Why this one: forced by FMNIST_BACKEND, or the first that loaded. */
  reason: string;
}

let chosen: Promise<BackendChoice> | undefined;

/** Loads the optional native backend; `undefined` when it is not installed or does not load. */
export type NodeBackendLoader = () => Promise<boolean>;

const loadTfjsNode: NodeBackendLoader = async () => {
  try {
    // Optional peer dependency: present only when the user installed it.
    const name = '@tensorflow/tfjs-node';
    await import(/* @vite-ignore */ name);
    return tf.findBackend('tensorflow') !== null;
  } catch {
    return false;
  }
};

export interface BackendOptions {
  /** Force one backend; defaults to FMNIST_BACKEND, else the fastest that loads. */
  prefer?: string;
  /** How to load tfjs-node; replaceable so the fallback can be tested. */
  loadNode?: NodeBackendLoader;
}

/**
 * Picks the backend once per process: tfjs-node when installed and loading, else wasm with this
 * package's training kernels, else cpu. FMNIST_BACKEND=node|wasm|cpu forces one.
 */
export function initBackend(options: BackendOptions = {}): Promise<BackendChoice> {
  chosen ??= choose(options);
  return chosen;
}

/** Forgets the choice, so the next `initBackend` chooses again. */
export function resetBackendChoice(): void {
  chosen = undefined;
}

async function choose(options: BackendOptions): Promise<BackendChoice> {
  const forced = (options.prefer ?? process.env.FMNIST_BACKEND ?? '').trim().toLowerCase();
  if (forced && !BACKENDS.includes(forced as BackendName)) {
    throw new ModelError(
      'BAD_BACKEND',
      `FMNIST_BACKEND="${forced}" is not a backend; use one of ${BACKENDS.join(', ')}`,
    );
  }
  const loadNode = options.loadNode ?? loadTfjsNode;
  const order: BackendName[] = forced ? [forced as BackendName] : [...BACKENDS];
  const failures: string[] = [];
  for (const name of order) {
    if (name === 'node') {
      if (!(await loadNode())) {
        failures.push('node: @tensorflow/tfjs-node is not installed or did not load');
        continue;
      }
      await tf.setBackend('tensorflow');
    } else {
      if (name === 'wasm') registerWasmTrainingKernels();
      if (!(await tf.setBackend(name))) {
        failures.push(`${name}: did not initialise`);
        continue;
      }
    }
    quietCpuBanner();
    return {
      name,
      reason: forced ? 'FMNIST_BACKEND' : failures.length ? failures.join('; ') : 'fastest available',
    };
  }
  throw new ModelError('BAD_BACKEND', `no TensorFlow.js backend could be used: ${failures.join('; ')}`);
}

/** The cpu backend suggests installing tfjs-node on first use; we chose otherwise on purpose. */
function quietCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
}

/** The backend tfjs is using now, in our names. */
export function currentBackend(): BackendName {
  const name = tf.getBackend();
  return name === 'tensorflow' ? 'node' : (name as BackendName);
}
