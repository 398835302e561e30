import { EXIT, type CliIO, type CommandGroup } from './command.js';
import { COMMAND_GROUPS } from './commands/index.js';

const HELP_FLAGS = new Set(['-h', '--help', 'help']);

/** Runs `aegis <group> <command> [args]` and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIO, groups: readonly CommandGroup[] = COMMAND_GROUPS): Promise<number> {
  const [groupName, commandName, ...args] = argv;
  if (groupName === undefined || HELP_FLAGS.has(groupName)) {
    (groupName === undefined ? io.stderr : io.stdout).write(overview(groups));
    return groupName === undefined ? EXIT.invalidInput : EXIT.ok;
  }
  const group = groups.find((g) => g.name === groupName);
  if (group === undefined) {
    io.stderr.write(`aegis: unknown command group "${groupName}"\n\n${overview(groups)}`);
    return EXIT.invalidInput;
  }
  const fallback = group.commands.find((c) => c.name === group.defaultCommand);
  if (fallback !== undefined && (commandName === undefined || (commandName !== 'help' && !group.commands.some((c) => c.name === commandName)))) {
    const rest = argv.slice(1);
    if (rest.some((a) => a === '-h' || a === '--help')) {
      io.stdout.write(fallback.help);
      return EXIT.ok;
    }
    return fallback.run(rest, io);
  }
  if (commandName === undefined || HELP_FLAGS.has(commandName)) {
    (commandName === undefined ? io.stderr : io.stdout).write(groupHelp(group));
    return commandName === undefined ? EXIT.invalidInput : EXIT.ok;
  }
  const command = group.commands.find((c) => c.name === commandName);
  if (command === undefined) {
    io.stderr.write(`aegis: unknown command "${groupName} ${commandName}"\n\n${groupHelp(group)}`);
    return EXIT.invalidInput;
  }
  if (args.some((a) => a === '-h' || a === '--help')) {
    io.stdout.write(command.help);
    return EXIT.ok;
  }
  return command.run(args, io);
}

function overview(groups: readonly CommandGroup[]): string {
  const lines = groups.flatMap((g) => g.commands.map((c) => `  aegis ${g.name} ${c.name}`.padEnd(32) + c.summary));
  return `Usage: aegis <group> <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun \`aegis <group> <command> --help\` for a command's options.\n`;
}

function groupHelp(group: CommandGroup): string {
  const lines = group.commands.map((c) => `  aegis ${group.name} ${c.name}`.padEnd(32) + c.summary);
  return `${group.summary}.\n\nCommands:\n${lines.join('\n')}\n`;
}
