// What every subcommand is: `aegis <group> <command> [args]`, answering with an exit code.
// Commands write through `io` and read the environment from it, so tests can run them in
// process as well as spawn the binary.

export interface CliIO {
  stdout: { write(text: string): unknown };
  /** `isTTY` decides whether progress is shown (see `--progress`). */
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  /** Input for commands that read `-` or nothing as stdin (`aegis pii scan`). */
  stdin?: AsyncIterable<string | Uint8Array>;
  cwd: string;
}

/** Exit codes shared by every command (docs/policy-tests.md lists them for `policies test`). */
export const EXIT = {
  /** Everything passed. */
  ok: 0,
  /** The command ran, and what it checked failed (a test failed). */
  failed: 1,
  /** Invalid input: bad arguments, unreadable or invalid files, a request the server rejected as invalid. */
  invalidInput: 2,
  /** The command could not do its work: server unreachable, credential refused, server error. */
  unavailable: 3,
} as const;

export interface Command {
  readonly name: string;
  /** One line, for the group's listing. */
  readonly summary: string;
  /** The full help text (`aegis <group> <command> --help`). */
  readonly help: string;
  run(args: readonly string[], io: CliIO): Promise<number>;
}

export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly Command[];
  /** Run when the word after the group is not a command name (`aegis usage --user u`). */
  readonly defaultCommand?: string;
}
