// Runs the model in its own thread, so the HTTP thread keeps reading and answering requests while a
// batch is computed.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, loadClassifier } from '@fmnist/model';

export interface InferenceRequest {
  id: number;
  input: Float32Array;
  rows: number;
}

export type InferenceReply =
  | { id: number; output: Float32Array }
  | { id: number; error: string }
  | { ready: true; metadata: unknown; backend: string };

const port = parentPort!;
try {
  const backend = await initBackend();
  const classifier = await loadClassifier((workerData as { modelDir: string }).modelDir);
  const { scale, offset } = classifier.normalization;
  classifier.predictNormalized(new Float32Array(784), 1);
  classifier.predictNormalized(new Float32Array(784 * 32), 32);
  port.on('message', ({ id, input, rows }: InferenceRequest) => {
    try {
      for (let i = 0; i < input.length; i++) input[i] = input[i]! * scale + offset;
      const output = classifier.predictNormalized(input, rows, 256);
      port.postMessage({ id, output } satisfies InferenceReply, [output.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({ id, error: (e as Error).message } satisfies InferenceReply);
    }
  });
  port.postMessage({
    ready: true,
    metadata: classifier.metadata(),
    backend: backend.name,
  } satisfies InferenceReply);
} catch (e) {
  port.postMessage({ id: -1, error: (e as Error).message } satisfies InferenceReply);
}
