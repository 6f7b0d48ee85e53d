import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists, replacePlainDir } from '@fmnist/fs-kit';
import * as tf from '@tensorflow/tfjs-core';
import { buildModel, INPUT_SHAPE, NUM_CLASSES } from './architecture.js';
import { initBackend } from './backend.js';
import { Classifier } from './classifier.js';
import { ModelError } from './errors.js';
import { resolveHyperparameters } from './hyperparameters.js';
import type { ModelMetadata } from './types.js';

export const MODEL_FILES = {
  topology: 'model.json',
  weights: 'weights.bin',
  metadata: 'metadata.json',
  optimizer: 'optimizer.json',
  optimizerWeights: 'optimizer.bin',
} as const;

export interface SaveOptions {
  /** Merged into the saved lineage (data commits, experiment ids, code version...). */
  lineage?: Record<string, unknown>;
  /** Merged into the saved metrics. */
  metrics?: Record<string, number>;
  /** Keep the optimiser's state so training can resume exactly (default true). */
  optimizer?: boolean;
}

/**
 * Saves in the tfjs layers format (`model.json` + `weights.bin`, loadable by plain
 * `tf.loadLayersModel`) with `metadata.json` beside it. The folder appears whole or not at all, and is a
 * plain folder (not a link), so checkpoint uploads and image builds copy it as it is.
 */
export async function saveClassifier(
  c: Classifier,
  dir: string,
  options: SaveOptions = {},
): Promise<ModelMetadata> {
  c.lineage = { ...c.lineage, ...options.lineage };
  c.metrics = { ...c.metrics, ...options.metrics };
  const metadata = c.metadata();
  let artifacts: tf.io.ModelArtifacts | undefined;
  await c.model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = artifacts as tf.io.ModelArtifacts;
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_core}`,
    convertedBy: null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: [`./${MODEL_FILES.weights}`], weights: a.weightSpecs }],
  };
  const files: [string, Uint8Array][] = [
    [MODEL_FILES.topology, Buffer.from(JSON.stringify(modelJson))],
    [MODEL_FILES.weights, new Uint8Array(concatWeightData(a.weightData))],
    [MODEL_FILES.metadata, Buffer.from(`${JSON.stringify(metadata, null, 2)}\n`)],
  ];
  if (options.optimizer !== false && c.adam.iterations > 0) {
    const { iterations, m, v, average } = c.adam.state();
    // With a weight average the model files hold the average (what serving uses), so the trained
    // weights, which training resumes from, travel with the optimiser: m, v, then the weights.
    const trained = average ? [f32Bytes(c.replica.weights)] : [];
    files.push([
      MODEL_FILES.optimizer,
      Buffer.from(
        JSON.stringify({ optimizer: 'adam', iterations, size: m.length, trainedWeights: !!average }),
      ),
    ]);
    files.push([MODEL_FILES.optimizerWeights, Buffer.concat([f32Bytes(m), f32Bytes(v), ...trained])]);
  }
  await replacePlainDir(dir, async (staging) => {
    for (const [name, bytes] of files) await writeFile(join(staging, name), bytes);
  });
  return metadata;
}

function f32Bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function concatWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (!data) return new ArrayBuffer(0);
  return Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
}

/** Loads a saved classifier, checking that its files, metadata and weights agree. */
export async function loadClassifier(dir: string): Promise<Classifier> {
  await initBackend();
  if (!(await pathExists(dir))) throw new ModelError('MODEL_NOT_FOUND', `no model folder at ${dir}`);
  const modelJson = await readJson<{
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  }>(join(dir, MODEL_FILES.topology));
  const metadata = await readJson<ModelMetadata>(join(dir, MODEL_FILES.metadata));
  checkMetadata(metadata, join(dir, MODEL_FILES.metadata));
  const manifest = modelJson.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0) {
    throw new ModelError('MODEL_CORRUPT', `${join(dir, MODEL_FILES.topology)} has no weightsManifest`);
  }
  const specs = manifest.flatMap((g) => g.weights);
  const buffers: Uint8Array[] = [];
  for (const path of manifest.flatMap((g) => g.paths)) buffers.push(await readWeights(join(dir, path)));
  const weightData = Buffer.concat(buffers);
  const expected = specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (weightData.length !== expected) {
    throw new ModelError(
      'MODEL_CORRUPT',
      `${join(dir, MODEL_FILES.weights)} holds ${weightData.length} bytes but model.json describes ${expected}; the weights are damaged or from another model`,
    );
  }
  const hp = resolveHyperparameters(metadata.hyperparameters as unknown as Record<string, unknown>);
  const model = buildModel(hp, metadata.seed);
  const classifier = new Classifier(model, hp, metadata.seed, metadata.normalization);
  try {
    const saved = tf.io.decodeWeights(
      weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.length),
      specs,
    );
    const used = new Set<string>();
    for (const w of model.weights) {
      const value = saved[w.originalName];
      if (!value) {
        throw new ModelError(
          'METADATA_MISMATCH',
          `metadata.json describes a model with weight "${w.originalName}", which the saved weights lack`,
        );
      }
      if (value.shape.join(',') !== w.shape.join(',')) {
        throw new ModelError(
          'METADATA_MISMATCH',
          `weight "${w.originalName}" is [${value.shape}] in the saved weights but metadata.json's hyperparameters give [${w.shape}]`,
        );
      }
      w.write(value);
      used.add(w.originalName);
    }
    const extra = Object.keys(saved).filter((k) => !used.has(k));
    if (extra.length) {
      throw new ModelError(
        'METADATA_MISMATCH',
        `saved weights ${extra.join(', ')} have no place in the model metadata.json describes`,
      );
    }
    tf.dispose(Object.values(saved));
    classifier.replica.readWeights();
    classifier.adam.startAverage(classifier.replica.weights);
  } catch (e) {
    classifier.dispose();
    throw e;
  }
  classifier.batchesTrained = metadata.training?.batches ?? 0;
  classifier.epochsTrained = metadata.training?.epochs ?? 0;
  classifier.metrics = { ...metadata.metrics };
  classifier.lineage = { ...metadata.lineage };
  if (await pathExists(join(dir, MODEL_FILES.optimizer))) {
    const state = await readJson<{ iterations?: number; size?: number; trainedWeights?: boolean }>(
      join(dir, MODEL_FILES.optimizer),
    );
    const bytes = await readWeights(join(dir, MODEL_FILES.optimizerWeights));
    const size = classifier.adam.size;
    const averaged = classifier.adam.average !== undefined;
    if (
      state.size !== size ||
      !Number.isInteger(state.iterations) ||
      (state.trainedWeights ?? false) !== averaged ||
      bytes.length !== size * (averaged ? 12 : 8)
    ) {
      classifier.dispose();
      throw new ModelError(
        'MODEL_CORRUPT',
        `${join(dir, MODEL_FILES.optimizer)} does not describe this model's ${size} weights`,
      );
    }
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    classifier.adam.restore({
      iterations: state.iterations as number,
      m: all.subarray(0, size),
      v: all.subarray(size, 2 * size),
      // The model files hold the average; training resumes from the trained weights saved here.
      average: averaged ? classifier.replica.weights.slice() : undefined,
    });
    if (averaged) classifier.replica.weights.set(all.subarray(2 * size));
  }
  return classifier;
}

/** Reads only `metadata.json`, for listing models without loading their weights. */
export async function readModelMetadata(dir: string): Promise<ModelMetadata> {
  const metadata = await readJson<ModelMetadata>(join(dir, MODEL_FILES.metadata));
  checkMetadata(metadata, join(dir, MODEL_FILES.metadata));
  return metadata;
}

function checkMetadata(m: ModelMetadata, file: string): void {
  const problems: string[] = [];
  if (m.format !== 'fmnist-model')
    problems.push(`format is ${JSON.stringify(m.format)}, expected "fmnist-model"`);
  if (!Array.isArray(m.classNames) || m.classNames.length !== NUM_CLASSES)
    problems.push(`classNames must list ${NUM_CLASSES} names`);
  if (!Array.isArray(m.inputShape) || m.inputShape.join(',') !== INPUT_SHAPE.join(',')) {
    problems.push(`inputShape must be [${INPUT_SHAPE}], got ${JSON.stringify(m.inputShape)}`);
  }
  if (typeof m.normalization?.scale !== 'number' || typeof m.normalization?.offset !== 'number') {
    problems.push('normalization must have numeric scale and offset');
  }
  if (typeof m.hyperparameters !== 'object' || m.hyperparameters === null)
    problems.push('hyperparameters are missing');
  if (!Number.isInteger(m.seed)) problems.push('seed must be an integer');
  if (problems.length) throw new ModelError('MODEL_CORRUPT', `${file}: ${problems.join('; ')}`);
}

async function readJson<T>(file: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ModelError('MODEL_CORRUPT', `${file} is missing; the model folder is incomplete`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ModelError('MODEL_CORRUPT', `${file} is not valid JSON (${(e as Error).message})`);
  }
}

async function readWeights(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch {
    throw new ModelError('MODEL_CORRUPT', `${file} is missing; the model folder is incomplete`);
  }
}
