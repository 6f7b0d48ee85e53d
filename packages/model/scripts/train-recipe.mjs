// Trains one recipe on Fashion-MNIST and prints the test accuracy after every epoch and the wall time:
// `node packages/model/scripts/train-recipe.mjs DATA_DIR [seed=0] [epochs=8] [workers=1] [name=value ...]`
// (after building the package; DATA_DIR holds the four IDX .gz files; name=value are hyperparameters).
import { join } from 'node:path';
import { createClassifier, initBackend, loadImageSet } from '../dist/index.js';

const [dir, ...args] = process.argv.slice(2);
const options = { seed: 0, epochs: 8, workers: 1 };
const hyperparameters = {};
for (const arg of args) {
  const [name, raw] = arg.split('=');
  const value =
    raw === 'true' ? true : raw === 'false' ? false : Number.isNaN(Number(raw)) ? raw : Number(raw);
  if (name in options) options[name] = value;
  else hyperparameters[name] = value;
}
await initBackend();
const file = (f) => join(dir, f);
const train = await loadImageSet(file('train-images-idx3-ubyte.gz'), file('train-labels-idx1-ubyte.gz'));
const test = await loadImageSet(file('t10k-images-idx3-ubyte.gz'), file('t10k-labels-idx1-ubyte.gz'));
const classifier = await createClassifier({ seed: options.seed, hyperparameters });
const started = performance.now();
const result = await classifier.train({
  train,
  validation: test,
  length: { epochs: options.epochs },
  workers: options.workers,
  onValidation: (m) =>
    console.log(
      `epoch ${m.epochs.toFixed(2)}: test accuracy ${(m.val_accuracy * 100).toFixed(2)}%  ${((performance.now() - started) / 1000).toFixed(0)} s`,
    ),
});
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    seed: options.seed,
    epochs: options.epochs,
    hyperparameters,
    test_accuracy: result.validation?.val_accuracy,
    seconds: Math.round(seconds),
    images_per_second: Math.round(result.imagesPerSecond),
  }),
);
