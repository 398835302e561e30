import { z } from 'zod';

// The body of POST /agents/:id/execute. Validated before the guard runs, so a malformed
// request costs no rate-limit tokens and holds no budget.

const MAX_INPUT_CHARS = 32_000;

// Zod's own message for a missing or mistyped field ("Invalid input: expected string") says
// less than the caller needs.
const typed = (expected: string, required = false) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined && required ? `is required: ${expected}` : `must be ${expected}`),
});

const executeBodySchema = z.object({
  input: z.string(typed('the text the agent works on', true)).trim().min(1, 'is required: the text the agent works on').max(MAX_INPUT_CHARS, `must be at most ${MAX_INPUT_CHARS} characters`),
  model: z.string(typed('a model name')).trim().regex(/^[A-Za-z0-9._:/-]{1,128}$/, 'must be a model name such as gpt-4o or claude-3-5-sonnet').default('gpt-4o'),
  /** Default: anthropic for claude-* models, openai otherwise. */
  provider: z.string(typed('a provider name')).trim().regex(/^[a-z0-9_-]{1,64}$/, 'must be a provider name such as openai or anthropic').optional(),
  max_tokens: z.number(typed('a whole number of tokens')).int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000').optional(),
  simulate: z.enum(['model_error'], typed('"model_error"')).optional(),
}).strict();

export interface ExecuteRequest {
  agentId: string;
  input: string;
  model: { provider: string; model: string };
  maxTokens: number;
  simulate: 'model_error' | undefined;
}

export class InvalidRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

const AGENT_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Throws InvalidRequestError naming each bad field. */
export function parseExecuteRequest(agentId: string, body: unknown, defaultMaxTokens: number): ExecuteRequest {
  if (!AGENT_ID.test(agentId)) throw new InvalidRequestError('agent id: must be 1-128 letters, digits, ".", "_" or "-"');
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequestError('body: must be a JSON object with "input" (Content-Type: application/json)');
  }
  const parsed = executeBodySchema.safeParse(body);
  if (!parsed.success) {
    throw new InvalidRequestError(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  }
  const { input, model, provider, max_tokens: maxTokens, simulate } = parsed.data;
  return {
    agentId,
    input,
    model: { provider: provider ?? (model.startsWith('claude') ? 'anthropic' : 'openai'), model },
    maxTokens: maxTokens ?? defaultMaxTokens,
    simulate,
  };
}
