import { CLASS_NAMES } from '@fmnist/model/data';
import type { ClassMetrics, Misclassified } from '../types.js';

export { CLASS_NAMES };

export const NUM_CLASSES = CLASS_NAMES.length;
export const MAX_MISCLASSIFIED = 36;

// Same clipping as Keras' categorical cross-entropy, so a confident mistake costs a finite amount.
const EPSILON = 1e-7;

export interface Evaluation {
  accuracy: number;
  loss: number;
  perClass: ClassMetrics[];
  confusion: number[][];
  misclassified: Misclassified[];
}

/** Scores `count` rows of class probabilities against the labels. Ties in argmax go to the lower class. */
export function evaluate(probabilities: Float32Array, labels: Uint8Array, count: number): Evaluation {
  const confusion = Array.from({ length: NUM_CLASSES }, () => new Array<number>(NUM_CLASSES).fill(0));
  const mistakes: Misclassified[] = [];
  let correct = 0;
  let lossSum = 0;
  for (let i = 0; i < count; i++) {
    const row = i * NUM_CLASSES;
    let predicted = 0;
    let best = probabilities[row]!;
    for (let c = 1; c < NUM_CLASSES; c++) {
      const p = probabilities[row + c]!;
      if (p > best) {
        best = p;
        predicted = c;
      }
    }
    const truth = labels[i]!;
    const pTrue = probabilities[row + truth]!;
    lossSum += -Math.log(Math.min(1 - EPSILON, Math.max(EPSILON, pTrue)));
    confusion[truth]![predicted]!++;
    if (predicted === truth) correct++;
    else mistakes.push({ index: i, true: truth, predicted, confidence: Math.round(best * 1e6) / 1e6 });
  }
  // The most confident mistakes first; equal confidence keeps test-set order, so the pick is deterministic.
  mistakes.sort((a, b) => b.confidence - a.confidence || a.index - b.index);

  const perClass = CLASS_NAMES.map((name, c): ClassMetrics => {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((s, n) => s + n, 0);
    const predictedAs = confusion.reduce((s, r) => s + r[c]!, 0);
    return {
      name,
      precision: predictedAs === 0 ? null : tp / predictedAs,
      recall: support === 0 ? null : tp / support,
      support,
    };
  });

  return {
    accuracy: correct / count,
    loss: lossSum / count,
    perClass,
    confusion,
    misclassified: mistakes.slice(0, MAX_MISCLASSIFIED),
  };
}
