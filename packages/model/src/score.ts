import { CLASS_NAMES } from './fashion-mnist/classes.js';
import type { Evaluation } from './types.js';

/** Scores `count × classes` probabilities against labels. */
export function scorePredictions(
  probs: Float32Array,
  labels: Uint8Array,
  classNames: readonly string[] = CLASS_NAMES,
): Evaluation {
  const k = classNames.length;
  const count = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < count; i++) {
    const row = probs.subarray(i * k, (i + 1) * k);
    let best = 0;
    for (let c = 1; c < k; c++) if ((row[c] as number) > (row[best] as number)) best = c;
    const label = labels[i] as number;
    const cells = confusion[label] as number[];
    cells[best] = (cells[best] as number) + 1;
    if (best === label) correct++;
    loss -= Math.log(Math.min(Math.max(row[label] as number, 1e-7), 1));
  }
  const precision: number[] = [];
  const recall: number[] = [];
  for (let c = 0; c < k; c++) {
    const tp = (confusion[c] as number[])[c] as number;
    const predicted = confusion.reduce((s, r) => s + (r[c] as number), 0);
    const actual = (confusion[c] as number[]).reduce((s, v) => s + v, 0);
    precision.push(predicted ? tp / predicted : 0);
    recall.push(actual ? tp / actual : 0);
  }
  return {
    count,
    accuracy: count ? correct / count : 0,
    loss: count ? loss / count : 0,
    precision,
    recall,
    confusion,
    classNames: [...classNames],
  };
}
