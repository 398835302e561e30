// A deterministic stand-in for a language model, so the gateway runs with no network and no
// provider account, and the README's numbers come out the same on every machine. It "answers"
// by restating the (already redacted) prompt; when the prompt asks for a contact it adds one
// with an e-mail address, which shows the guard redacting PII the model produced.

/** Roughly four characters per token, as providers' rules of thumb say; exact enough for a demo. */
const CHARS_PER_TOKEN = 4;

/** What the stand-in adds when asked for a contact: PII coming out of the model, not the user. */
export const STAND_IN_CONTACT = 'ops.lead@example.org';

export class ModelFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFailure';
  }
}

export interface Completion {
  text: string;
  promptTokens: number;
  completionTokens: number;
}

export function countTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export interface StandInRequest {
  model: string;
  prompt: string;
  maxTokens: number;
  /** `model_error`: the call fails as a provider outage would (the guard gives the budget hold back). */
  simulate?: 'model_error';
}

export function complete(req: StandInRequest): Completion {
  if (req.simulate === 'model_error') throw new ModelFailure(`${req.model} is unavailable (simulated provider outage)`);
  const words = req.prompt.trim().split(/\s+/).filter((w) => w !== '');
  let text = `[${req.model}] You asked (${words.length} words): "${words.join(' ')}".`;
  if (/\bcontact\b/i.test(req.prompt)) text += ` For follow-up, contact ${STAND_IN_CONTACT}.`;
  // A real model stops at max_tokens; so does this one.
  const limit = req.maxTokens * CHARS_PER_TOKEN;
  if (text.length > limit) text = text.slice(0, limit);
  return { text, promptTokens: countTokens(req.prompt), completionTokens: countTokens(text) };
}
