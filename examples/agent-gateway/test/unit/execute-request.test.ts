import { InvalidRequestError, parseExecuteRequest } from '../../src/execute-request.js';

test('defaults: gpt-4o on openai, the configured max tokens; claude-* models go to anthropic', () => {
  expect(parseExecuteRequest('support-bot', { input: ' hi ' }, 256)).toEqual({
    agentId: 'support-bot', input: 'hi', model: { provider: 'openai', model: 'gpt-4o' }, maxTokens: 256, simulate: undefined,
  });
  expect(parseExecuteRequest('a', { input: 'hi', model: 'claude-3-5-sonnet', max_tokens: 50 }, 256)).toMatchObject({
    model: { provider: 'anthropic', model: 'claude-3-5-sonnet' }, maxTokens: 50,
  });
});

test('every bad field is named; unknown fields are refused', () => {
  const problem = (agentId: string, body: unknown) => {
    try {
      parseExecuteRequest(agentId, body, 256);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidRequestError);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };
  expect(problem('a', {})).toContain('input: is required');
  expect(problem('a', undefined)).toContain('JSON object');
  expect(problem('a', { input: 'x', max_tokens: '100' })).toContain('max_tokens: must be a whole number of tokens');
  const several = problem('a', { input: '', max_tokens: 0, model: 'no spaces allowed' });
  expect(several).toContain('input');
  expect(several).toContain('max_tokens');
  expect(several).toContain('model');
  expect(problem('a', { input: 'x', temperature: 2 })).toContain('temperature');
  expect(problem('../etc', { input: 'x' })).toContain('agent id');
});
