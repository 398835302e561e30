// examples/agent-gateway/README.md, run as written: `npm start` on embedded backends (a child
// process, as a new user would start it), then every `sh step=...` block of the walkthrough in
// bash with curl and jq, in order, with the printed admin key. Only the addresses change
// (the processes listen on free ports).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startChild, type ChildService } from './support/child-process.js';
import { readWalkthrough, Walkthrough, type StepResult } from './support/readme-walkthrough.js';

const SERVICES = { auth: '8081', policy: '8082', ratelimit: '8083', pii: '8084', billing: '8085', audit: '8086' } as const;
const GATEWAY_PORT = '8080';

let dataDir: string;
let platform: ChildService;
let walkthrough: Walkthrough;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'aegis-walkthrough-'));
  const ports = Object.fromEntries([...Object.keys(SERVICES), 'gateway'].map((s) => [`AEGIS_${s.toUpperCase()}_PORT`, '0']));
  platform = startChild('scripts/start-platform.ts', { AEGIS_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...ports });
  await platform.waitFor(/Aegis is running\.[\s\S]*Stop: /, 150_000);
  const out = platform.stdout();
  const urls: Record<string, string> = {};
  for (const [name, port] of Object.entries(SERVICES)) urls[port] = out.match(new RegExp(`^\\s+${name}\\s+(http://\\S+)`, 'm'))![1]!;
  const gateway = out.match(/Agent gateway \(examples\/agent-gateway\): POST (http:\/\/\S+)\/agents\//);
  if (gateway === null) throw new Error(`npm start did not start the agent gateway:\n${out}`);
  urls[GATEWAY_PORT] = gateway[1]!;
  const adminKey = out.match(/\b(genxai_live_[0-9A-Za-z]{38})\b/)![1]!;
  walkthrough = new Walkthrough(await readWalkthrough(join(REPO_ROOT, 'examples/agent-gateway/README.md')), urls, { ADMIN_KEY: adminKey }, dataDir);
}, 180_000);

afterAll(async () => {
  if (platform !== undefined) expect(await platform.stop('SIGTERM')).toBe(0);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 60_000);

async function step(name: string): Promise<string> {
  const result: StepResult = await walkthrough.run(name);
  if (result.code !== 0 || result.stderr.trim() !== '') {
    throw new Error(`step ${name} failed (exit ${result.code})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return result.stdout;
}

test('the README walkthrough works as written against npm start', async () => {
  // 2. A user key, printed once.
  expect(await step('create-key')).toMatch(/^genxai_live_[0-9A-Za-z]{38}\n$/);

  // 3. A call: the stand-in's answer, its token counts, and the exact cost of gpt-4o.
  const callText = await step('call');
  const call = JSON.parse(callText) as { output?: string };
  if (call.output === undefined) throw new Error(`the gateway answered ${callText}\n${platform.stdout().slice(-4000)}`);
  expect(call).toMatchObject({
    output: '[gpt-4o] You asked (5 words): "What is our refund policy?".',
    usage: { promptTokens: 7, completionTokens: 15, estimated: false },
    cost: { currencyCode: 'USD', amountNanos: String(7n * 2_500n + 15n * 10_000n) },
  });
  const noKey = await step('no-key');
  expect(noKey).toContain('"code":"unauthenticated"');
  expect(noKey).toMatch(/HTTP 401\n$/);

  // 4. Some 200s, then a 429 with Retry-After (how many 200s depends on how fast the loop runs).
  const limited = await step('rate-limit');
  const statuses = [...limited.matchAll(/^request \d+: HTTP (\d+)$/gm)].map((m) => m[1]);
  expect(statuses.at(-1)).toBe('429');
  expect(statuses.slice(0, -1).every((s) => s === '200')).toBe(true);
  expect(statuses.length).toBeGreaterThanOrEqual(10);
  expect(limited).toMatch(/^retry-after: [1-9][0-9]*\r?$/im);
  expect(limited).toContain('"code":"rate_limited"');

  // 5. The budget exists, and the big request is refused with 402 naming it.
  const budget = await step('budget');
  expect(budget).toContain('{"name":"bob-monthly","amountLimit":{"currencyCode":"USD","amountNanos":"5000000"},"enforcement":"BUDGET_ENFORCEMENT_HARD"}');
  expect(budget).toContain('"code":"budget_exceeded"');
  expect(budget).toMatch(/HTTP 402\n$/);

  // 6. Redacted in and out.
  const pii = await step('pii');
  expect(pii).toContain('{"name":"redact_email","piiType":"email","action":"DLP_ACTION_REDACT"}');
  const answer = JSON.parse(pii.slice(pii.indexOf('\n') + 1)) as { output: string; usage: unknown; pii: { input: string[]; output: string[] } };
  expect(answer.output).toBe('[gpt-4o] You asked (11 words): "Summarise the refund for ***REDACTED*** and tell me who to contact". For follow-up, contact ***REDACTED***.');
  expect(answer.pii).toEqual({ input: ['email'], output: ['email'] });
  expect(answer.usage).toEqual({ promptTokens: 17, completionTokens: 37, estimated: false });

  // 7. The sink stores what the gateway published a moment ago: the step is read-only, so it
  // is repeated until the record has arrived.
  let audit = '';
  const deadline = Date.now() + 30_000;
  while (!audit.includes('"agent.execution"')) {
    if (Date.now() > deadline) throw new Error(`the agent.execution record never reached the audit sink:\n${audit}`);
    if (audit !== '') await new Promise((resolve) => setTimeout(resolve, 250));
    audit = await step('audit');
  }
  const [record, verified] = splitJson(audit);
  expect(record).toEqual({
    source: 'agent-gateway',
    action: 'agent.execution',
    agent: { agentId: 'support-bot', provider: 'openai', model: 'gpt-4o' },
    tokens: { promptTokens: '17', completionTokens: '37' },
    cost: { currencyCode: 'USD', amountNanos: String(17n * 2_500n + 37n * 10_000n) },
    pii: [{ type: 'email', count: '2', action: 'PII_ACTION_REDACTED' }],
    permissions: ['agent:execute'],
  });
  expect(verified).toMatchObject({ intact: true });
  expect((verified as { producers: string[] }).producers).toEqual(expect.arrayContaining(['agent-gateway', 'auth', 'pii']));
}, 180_000);

/** The step prints a pretty JSON document, then a compact one. */
function splitJson(text: string): unknown[] {
  const lastLine = text.trimEnd().split('\n').at(-1)!;
  return [JSON.parse(text.slice(0, text.trimEnd().lastIndexOf(lastLine))), JSON.parse(lastLine)];
}
