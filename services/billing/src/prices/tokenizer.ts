import { getEncoding, getEncodingNameForModel, type Tiktoken, type TiktokenEncoding, type TiktokenModel } from 'js-tiktoken';

// Token counts for providers that report no usage, with OpenAI's BPE tokenizers (js-tiktoken,
// pure JavaScript). A model with a known encoding counts exactly; any other model (e.g.
// Anthropic's, whose tokenizer is not public) is counted with cl100k_base as a stand-in and
// flagged inexact, and usage recorded from it carries `estimated`.

const ENCODINGS: readonly TiktokenEncoding[] = ['o200k_base', 'cl100k_base', 'p50k_base', 'p50k_edit', 'r50k_base', 'gpt2'];
const STAND_IN: TiktokenEncoding = 'cl100k_base';
const loaded = new Map<TiktokenEncoding, Tiktoken>();

function encoding(name: TiktokenEncoding): Tiktoken {
  let enc = loaded.get(name);
  if (enc === undefined) {
    enc = getEncoding(name);
    loaded.set(name, enc);
  }
  return enc;
}

/**
 * Loads the encodings a catalogue names, plus the stand-in, before the service reports ready.
 * Building one takes over a second of CPU (o200k_base is a 200k-entry table): paid on the first
 * EstimateTokens it would exceed a caller's 2 s deadline, as the guard SDK's first call did.
 */
export function warmEncodings(priceTokenizers: readonly string[]): TiktokenEncoding[] {
  const names = new Set<TiktokenEncoding>([STAND_IN, ...priceTokenizers.filter(isKnownEncoding)]);
  for (const name of names) encoding(name);
  return [...names];
}

export function isKnownEncoding(name: string): name is TiktokenEncoding {
  return (ENCODINGS as readonly string[]).includes(name);
}

/** The encoding for a model: the price's tokenizer, else js-tiktoken's model table, else the stand-in. */
export function encodingFor(model: string, priceTokenizer: string): { name: TiktokenEncoding; exact: boolean } {
  if (isKnownEncoding(priceTokenizer)) return { name: priceTokenizer, exact: true };
  try {
    return { name: getEncodingNameForModel(model as TiktokenModel), exact: true };
  } catch {
    return { name: STAND_IN, exact: false };
  }
}

export function countTokens(text: string, name: TiktokenEncoding): number {
  // Special-token text ("<|endoftext|>") in user input is counted as ordinary text.
  return encoding(name).encode(text, [], []).length;
}
