// What detection produces. Offsets are UTF-16 code units (JavaScript string indexes), so a
// caller in any language that received the same string can slice it the same way.

/** Built-in types, named as in the GenXAI plan, plus the ones beyond it. */
export const BUILTIN_TYPES = ['email', 'phone', 'ssn', 'credit_card', 'ip_address', 'api_key', 'iban', 'url_with_credentials', 'date_of_birth', 'person'] as const;
export type BuiltinType = (typeof BUILTIN_TYPES)[number];

export function isBuiltinType(name: string): name is BuiltinType {
  return (BUILTIN_TYPES as readonly string[]).includes(name);
}

export interface Finding {
  /** A built-in type or a custom pattern's name. */
  type: string;
  start: number;
  /** Exclusive. */
  end: number;
  /** Confidence in [0, 1]. */
  score: number;
  /** What raised it: "luhn", "ssn_rules", "libphonenumber+context", "custom:<name>" ... */
  detector: string;
}

/** A candidate a recognizer found and validated, before context and lists are applied. */
export interface Candidate extends Finding {
  /** Words that, near the match, make it likelier (lowercase). */
  contextWords?: readonly string[];
  /** Score added when a context word is near. */
  contextBoost?: number;
  /** Characters before the match searched for context words (default 40; half as many after). */
  contextWindow?: number;
  /** Characters after the match searched (default half the window before). */
  contextWindowAfter?: number;
}

/** One built-in recognizer: finds and validates its type in a text. Pure and linear-time. */
export interface Recognizer {
  readonly type: BuiltinType;
  find(text: string, options: RecognizerOptions): Candidate[];
}

export interface RecognizerOptions {
  /** ISO 3166 region for phone numbers without a country code. */
  defaultRegion: string;
  /**
   * The detector's threshold, when known: a recognizer may skip validating candidates whose
   * score cannot reach it (a weak match without a context word). Absent: report every candidate.
   */
  minScore?: number;
}
