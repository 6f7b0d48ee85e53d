// The same model as the server, run in this page: TensorFlow.js loads the version's saved files
// (tfjs layers format: model.json + weights.bin) through the dashboard. Loaded on demand, as it is large.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { type LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';

interface Metadata {
  classNames: string[];
  /** input = pixel * scale + offset, for pixel in 0..255 */
  normalization: { scale: number; offset: number };
}

export interface BrowserModel {
  classNames: string[];
  backend: string;
  predict(pixels: number[]): { probabilities: number[]; ms: number };
}

const cache = new Map<string, Promise<BrowserModel>>();

export function loadBrowserModel(model: string, version: number): Promise<BrowserModel> {
  const base = `/api/models/${encodeURIComponent(model)}/versions/${version}/files`;
  let p = cache.get(base);
  if (!p) {
    p = (async () => {
      await tf.setBackend('cpu');
      const [layers, meta] = await Promise.all([
        loadLayersModel(`${base}/model.json`) as Promise<LayersModel>,
        fetch(`${base}/metadata.json`).then(async (r) => {
          if (!r.ok) throw new Error(`metadata.json: the dashboard answered ${r.status}`);
          return (await r.json()) as Metadata;
        }),
      ]);
      const { scale, offset } = meta.normalization;
      return {
        classNames: meta.classNames,
        backend: tf.getBackend(),
        predict(pixels: number[]) {
          const t0 = performance.now();
          const out = tf.tidy(() => {
            const x = tf.tensor4d(
              Float32Array.from(pixels, (v) => v * scale + offset),
              [1, 28, 28, 1],
            );
            return (layers.predict(x) as tf.Tensor).dataSync();
          });
          return { probabilities: Array.from(out), ms: performance.now() - t0 };
        },
      };
    })();
    cache.set(base, p);
    p.catch(() => cache.delete(base));
  }
  return p;
}
