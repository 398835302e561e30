import { complete, countTokens, ModelFailure, STAND_IN_CONTACT } from '../../src/stand-in-model.js';

test('restates the prompt and counts one token per four characters, the same every time', () => {
  const a = complete({ model: 'gpt-4o', prompt: 'What is our refund policy?', maxTokens: 100 });
  expect(a).toEqual({ text: '[gpt-4o] You asked (5 words): "What is our refund policy?".', promptTokens: 7, completionTokens: 15 });
  expect(complete({ model: 'gpt-4o', prompt: 'What is our refund policy?', maxTokens: 100 })).toEqual(a);
});

test('asked who to contact, it produces an e-mail address (PII coming out of the model)', () => {
  const { text } = complete({ model: 'gpt-4o', prompt: 'Who should I contact?', maxTokens: 100 });
  expect(text.endsWith(`For follow-up, contact ${STAND_IN_CONTACT}.`)).toBe(true);
  expect(complete({ model: 'gpt-4o', prompt: 'contactless payments', maxTokens: 100 }).text).not.toContain(STAND_IN_CONTACT);
});

test('stops at max_tokens, like a model', () => {
  const { text, completionTokens } = complete({ model: 'gpt-4o', prompt: 'word '.repeat(200), maxTokens: 10 });
  expect(text).toHaveLength(40);
  expect(completionTokens).toBe(10);
  expect(countTokens('')).toBe(0);
});

test('simulate model_error fails the call', () => {
  expect(() => complete({ model: 'gpt-4o', prompt: 'x', maxTokens: 1, simulate: 'model_error' })).toThrow(ModelFailure);
});
