import { runCli } from '../../src/cli.js';
import { EXIT, type CliIO, type CommandGroup } from '../../src/command.js';
import { violationsIn } from '../../src/commands/policies/test-server.js';

// The dispatcher, in process: `aegis <group> <command> [args]` reaches the command with its
// arguments; help, unknown names and missing ones answer with usage and exit codes.

function capture(): CliIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: {},
    cwd: '/',
    out: () => out,
    err: () => err,
  };
}

const seen: (readonly string[])[] = [];
const groups: CommandGroup[] = [{
  name: 'widgets',
  summary: 'Work with widgets',
  commands: [{ name: 'spin', summary: 'Spins a widget', help: 'Usage: aegis widgets spin\n', run: async (args) => (seen.push(args), 7) }],
}];

test('a command gets its arguments and its exit code is returned', async () => {
  const io = capture();
  expect(await runCli(['widgets', 'spin', '--fast', 'x'], io, groups)).toBe(7);
  expect(seen.at(-1)).toEqual(['--fast', 'x']);
});

test.each([
  [[], EXIT.invalidInput, 'err', /Usage: aegis <group> <command>[\s\S]*aegis widgets spin\s+Spins a widget/],
  [['--help'], EXIT.ok, 'out', /Usage: aegis <group> <command>/],
  [['gadgets'], EXIT.invalidInput, 'err', /unknown command group "gadgets"/],
  [['widgets'], EXIT.invalidInput, 'err', /Work with widgets\.[\s\S]*aegis widgets spin/],
  [['widgets', 'help'], EXIT.ok, 'out', /aegis widgets spin/],
  [['widgets', 'wobble'], EXIT.invalidInput, 'err', /unknown command "widgets wobble"/],
  [['widgets', 'spin', '-h'], EXIT.ok, 'out', /^Usage: aegis widgets spin\n$/],
])('aegis %j', async (argv, code, stream, text) => {
  const io = capture();
  expect(await runCli(argv, io, groups)).toBe(code);
  expect(stream === 'out' ? io.out() : io.err()).toMatch(text);
});

test('a group with a default command runs it when no command is named', async () => {
  const ran: (readonly string[])[] = [];
  const withDefault: CommandGroup[] = [{ name: 'usage', summary: 'Usage', defaultCommand: 'show', commands: [{ name: 'show', summary: 'Shows', help: 'Usage: aegis usage show\n', run: async (args) => (ran.push(args), 0) }] }];
  expect(await runCli(['usage', '--user', 'u1'], capture(), withDefault)).toBe(0);
  expect(await runCli(['usage'], capture(), withDefault)).toBe(0);
  expect(await runCli(['usage', 'show', '--json'], capture(), withDefault)).toBe(0);
  expect(ran).toEqual([['--user', 'u1'], [], ['--json']]);
  const help = capture();
  expect(await runCli(['usage', '--help'], help, withDefault)).toBe(0);
  expect(help.out()).toBe('Usage: aegis usage show\n');
});

test('every server command has help listing the connection flags of its services', async () => {
  for (const [argv, flag] of [[['keys', 'create'], '--auth-url'], [['budgets', 'list'], '--billing-url'], [['pii', 'scan'], '--pii-url'], [['limits', 'set'], '--ratelimit-url'], [['policies', 'apply'], '--policy-url']] as const) {
    const io = capture();
    expect(await runCli([...argv, '--help'], io)).toBe(EXIT.ok);
    expect(io.out()).toContain(flag);
    expect(io.out()).toContain('--json');
    expect(io.out()).toContain('Exit codes:');
  }
});

test('the real command table lists policies test', async () => {
  const io = capture();
  await runCli(['--help'], io);
  expect(io.out()).toMatch(/aegis policies test\s+Run policy test files/);
});

test("the server's InvalidArgument message splits into its violations", () => {
  expect(violationsIn('cases[0].action: must not be empty')).toEqual([{ field: 'cases[0].action', description: 'must not be empty' }]);
  expect(violationsIn('draft_roles[0].inherits[0]: unknown role "x"; draft_policies[1].condition.user.a.$lt: must be a string or a number; tenant_id: bad; see: this')).toEqual([
    { field: 'draft_roles[0].inherits[0]', description: 'unknown role "x"' },
    { field: 'draft_policies[1].condition.user.a.$lt', description: 'must be a string or a number' },
    { field: 'tenant_id', description: 'bad; see: this' },
  ]);
  expect(violationsIn('something went wrong')).toEqual([{ field: '', description: 'something went wrong' }]);
});
