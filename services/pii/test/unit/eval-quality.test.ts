// The accuracy bar of `npm run eval:pii`, on a small corpus so that CI runs it every time: a
// quality floor, not a speed assertion. A seed other than the one the recognizers were tuned on.
import { detect, EMPTY_POLICY } from '../../src/domain/detection/index.js';
import { EVAL_TYPES, generateCorpus } from '../../eval/corpus.js';
import { score } from '../../eval/scoring.js';

test('every type reaches F1 >= 0.97 on a fresh seeded corpus, hard negatives included', () => {
  const docs = generateCorpus(800, 2026);
  const results = score(docs, (text) => detect(text, EMPTY_POLICY), EVAL_TYPES);
  for (const r of results) {
    expect(r.truePositives + r.falseNegatives).toBeGreaterThan(20);
    expect({ type: r.type, f1Floor: r.f1 >= 0.97 }).toEqual({ type: r.type, f1Floor: true });
  }
});

test('the scorer counts a finding on a hard negative as a false positive', () => {
  const [r] = score([{ text: 'Order 4111111111111111', labels: [] }], (text) => detect(text, EMPTY_POLICY), ['credit_card']);
  expect(r).toMatchObject({ falsePositives: 1, precision: 0 });
});
