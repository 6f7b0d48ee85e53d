import type { Tensor } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-layers';
import { batchNorm } from './batch-norm.js';
import type { Hyperparameters } from './hyperparameters.js';

export const INPUT_SHAPE = [28, 28, 1] as const;
export const NUM_CLASSES = 10;

/**
 * The default CNN (conv 3×3 → pool → conv 3×3 → pool → dense → dropout → softmax; with `batch_norm`, a
 * normalisation after each pool, where it costs a quarter of what it would after the convolution) or the MLP of
 * Determined's Fashion-MNIST tutorial. Every initialiser and dropout layer is seeded, so a seed fixes
 * the whole model.
 */
export function buildModel(hp: Hyperparameters, seed = 0): tf.LayersModel {
  let s = seed * 16;
  const init = () => tf.initializers.glorotUniform({ seed: s++ });
  const model = tf.sequential({ name: `fmnist_${hp.architecture}` });
  if (hp.architecture === 'cnn') {
    model.add(
      tf.layers.conv2d({
        inputShape: [...INPUT_SHAPE],
        filters: hp.filters1,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(),
        name: 'conv1',
      }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }));
    if (hp.batch_norm) model.add(batchNorm('norm1'));
    model.add(
      tf.layers.conv2d({
        filters: hp.filters2,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(),
        name: 'conv2',
      }),
    );
    model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }));
    if (hp.batch_norm) model.add(batchNorm('norm2'));
    model.add(tf.layers.flatten({ name: 'flatten' }));
    model.add(
      tf.layers.dense({ units: hp.dense1, activation: 'relu', kernelInitializer: init(), name: 'dense1' }),
    );
    if (hp.dropout > 0) model.add(seededDropout({ rate: hp.dropout, seed: s++, name: 'dropout' }));
  } else {
    model.add(tf.layers.flatten({ inputShape: [...INPUT_SHAPE], name: 'flatten' }));
    model.add(
      tf.layers.dense({ units: hp.dense1, activation: 'relu', kernelInitializer: init(), name: 'dense1' }),
    );
  }
  model.add(
    tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax', kernelInitializer: init(), name: 'output' }),
  );
  return model;
}

type DropoutArgs = { rate: number; seed: number; name: string };
type LayerCtor = new (args: Record<string, unknown>) => tf.layers.Layer;
const DropoutBase = Object.getPrototypeOf(tf.layers.dropout({ rate: 0.5 })).constructor as LayerCtor;

/**
 * tfjs's Dropout draws the same mask on every step when given a seed. This one draws a new mask per
 * training step from a seeded sequence, and saves as a plain Dropout layer.
 */
class SeededDropout extends DropoutBase {
  static readonly className = 'Dropout';
  private readonly baseSeed: number;
  /** Which mask of the seeded sequence the next training call draws. */
  stream = 0;

  constructor(args: DropoutArgs) {
    super({ rate: args.rate, name: args.name });
    this.baseSeed = args.seed;
  }

  override call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor | Tensor[] {
    const self = this as unknown as { seed?: number };
    if (kwargs.training) self.seed = (this.baseSeed * 1_000_003 + this.stream) % 2 ** 31;
    try {
      return super.call(inputs, kwargs);
    } finally {
      self.seed = undefined;
    }
  }
}

function seededDropout(args: DropoutArgs): tf.layers.Layer {
  return new SeededDropout(args);
}

/** Points every dropout layer at mask number `stream` of its seeded sequence. */
export function setDropoutStream(model: tf.LayersModel, stream: number): void {
  for (const layer of model.layers) if (layer instanceof SeededDropout) layer.stream = stream;
}
