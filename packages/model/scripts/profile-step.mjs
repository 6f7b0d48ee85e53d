// Where one training step's time goes, per kernel, on one thread:
// `node packages/model/scripts/profile-step.mjs IMAGES.gz LABELS.gz [batches] [name=value ...]` (after building
// the package; name=value are hyperparameters).
// On a machine others are using, compare the CPU time per batch: the wall time counts their turns too.
import * as tf from '@tensorflow/tfjs-core';
import { createClassifier, initBackend, loadImageSet } from '../dist/index.js';

const [imagesPath, labelsPath, batchesArg = '40', ...settings] = process.argv.slice(2);
const batches = Number(batchesArg);
const hyperparameters = {};
for (const arg of settings) {
  const [name, raw] = arg.split('=');
  hyperparameters[name] =
    raw === 'true' ? true : raw === 'false' ? false : Number.isNaN(Number(raw)) ? raw : Number(raw);
}
await initBackend();
const totals = new Map();
for (const k of tf.getKernelsForBackend(tf.getBackend())) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, k.backendName);
  tf.registerKernel({
    ...k,
    kernelFunc: (args) => {
      const t = performance.now();
      try {
        return inner(args);
      } finally {
        const e = totals.get(k.kernelName) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t;
        e.calls++;
        totals.set(k.kernelName, e);
      }
    },
  });
}
const train = await loadImageSet(imagesPath, labelsPath);
const model = await createClassifier({ hyperparameters });
await model.train({ train, length: { batches: 3 }, workers: 1 });
totals.clear();
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const r = await model.train({ train, length: { batches: 3 + batches }, workers: 1 });
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
const kernelMs = [...totals.values()].reduce((s, e) => s + e.ms, 0);
const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
console.log(
  `${r.imagesPerSecond.toFixed(0)} images/s on one thread; ${(wall / batches).toFixed(1)} ms per batch, ${(cpuMs / batches).toFixed(1)} ms of CPU`,
);
for (const [name, e] of rows) {
  console.log(
    `${name.padEnd(24)} ${((100 * e.ms) / wall).toFixed(1).padStart(5)}%  ${(e.ms / batches).toFixed(2).padStart(7)} ms/batch  ${(e.calls / batches).toFixed(1)} calls`,
  );
}
console.log(
  `${'JS outside kernels'.padEnd(24)} ${((100 * (wall - kernelMs)) / wall).toFixed(1).padStart(5)}%  ${((wall - kernelMs) / batches).toFixed(2).padStart(7)} ms/batch`,
);
