import type { LabelledDocument } from './corpus.js';

export interface TypeScore {
  type: string;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  f1: number;
  f2: number;
}

export interface Predicted {
  type: string;
  start: number;
  end: number;
}

/**
 * A prediction counts when it has the label's type and overlaps its span; each label matches
 * at most one prediction. Unmatched predictions are false positives of their type (including
 * every finding on a hard negative), unmatched labels false negatives.
 */
export function score(docs: readonly LabelledDocument[], predict: (text: string) => Predicted[], types: readonly string[]): TypeScore[] {
  const tally = new Map(types.map((t) => [t, { tp: 0, fp: 0, fn: 0 }]));
  const count = (type: string) => {
    if (!tally.has(type)) tally.set(type, { tp: 0, fp: 0, fn: 0 });
    return tally.get(type)!;
  };
  for (const doc of docs) {
    const predicted = predict(doc.text);
    const used = new Set<number>();
    for (const label of doc.labels) {
      const i = predicted.findIndex((p, idx) => !used.has(idx) && p.type === label.type && p.start < label.end && label.start < p.end);
      if (i >= 0) {
        used.add(i);
        count(label.type).tp++;
      } else count(label.type).fn++;
    }
    predicted.forEach((p, idx) => {
      if (!used.has(idx)) count(p.type).fp++;
    });
  }
  return [...tally].map(([type, { tp, fp, fn }]) => {
    const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
    const fBeta = (b: number) => (precision + recall === 0 ? 0 : ((1 + b * b) * precision * recall) / (b * b * precision + recall));
    return { type, truePositives: tp, falsePositives: fp, falseNegatives: fn, precision, recall, f1: fBeta(1), f2: fBeta(2) };
  });
}
