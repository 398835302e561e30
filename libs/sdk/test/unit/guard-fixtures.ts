// Shared by the guard's unit tests: a request, a run, and the guard over the faked services.
import { createGuard, type GuardRequest, type GuardRunContext, type RunResult } from '../../src/index.js';
import { USER_KEY, fakeAegis, type FakeAnswers } from './fake-aegis.js';

export function request(overrides: Partial<GuardRequest> = {}): GuardRequest {
  return {
    credential: `Bearer ${USER_KEY}`,
    action: 'execute',
    resource: { kind: 'agent', id: 'support-bot' },
    model: { provider: 'openai', model: 'gpt-4o' },
    input: 'Summarise the ticket from jane@example.com',
    maxOutputTokens: 100,
    ...overrides,
  };
}

export const echo = async (ctx: GuardRunContext): Promise<RunResult> => ({
  output: `done for ${typeof ctx.input === 'string' ? ctx.input : ''}; reply to bob@example.com`,
  usage: { promptTokens: 12, completionTokens: 30 },
});

export async function refusal(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal, the guard let the request through');
}

export function setup(answers: FakeAnswers = {}, opts: Parameters<typeof createGuard>[1] = {}) {
  const fake = fakeAegis(answers);
  return { ...fake, guard: createGuard(fake.clients, opts) };
}

