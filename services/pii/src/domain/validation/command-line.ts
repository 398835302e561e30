import { findInvisible } from './invisible-characters.js';

// A command line as an argv array for a shell-less spawn. Nothing is expanded; anything a
// shell would interpret is refused outright (even inside quotes: the caller may still hand the
// string to a shell), and the program must be on the allow-list exactly as written.

export type CommandRejection = 'empty' | 'shell_metacharacter' | 'program_not_allowed' | 'unbalanced_quotes' | 'control_character';

export type CommandVerdict = { allowed: true; argv: string[] } | { allowed: false; rejection: CommandRejection; detail: string };

const METACHARACTERS = new Set([';', '&', '|', '`', '$', '<', '>', '(', ')', '{', '}', '*', '?', '[', ']', '~', '!', '#', '\\', '\n']);

export function sanitizeCommand(command: string, allowedPrograms: readonly string[]): CommandVerdict {
  const invisible = findInvisible(command.replace(/\n/g, ' '));
  if (invisible.length > 0 || /[\t\r]/.test(command)) {
    const offset = invisible[0]?.offset ?? command.search(/[\t\r]/);
    return { allowed: false, rejection: 'control_character', detail: `control or invisible character at offset ${offset}` };
  }
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (METACHARACTERS.has(ch)) return { allowed: false, rejection: 'shell_metacharacter', detail: `${ch === '\n' ? 'newline' : `'${ch}'`} at offset ${i}` };
  }
  const argv: string[] = [];
  let current = '';
  let inWord = false;
  let quote: string | undefined;
  let quoteAt = 0;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      quoteAt = i;
      inWord = true;
    } else if (ch === ' ') {
      if (inWord) argv.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote !== undefined) return { allowed: false, rejection: 'unbalanced_quotes', detail: `${quote} at offset ${quoteAt} is not closed` };
  if (inWord) argv.push(current);
  if (argv.length === 0) return { allowed: false, rejection: 'empty', detail: 'no program given' };
  if (!allowedPrograms.includes(argv[0]!)) return { allowed: false, rejection: 'program_not_allowed', detail: `"${argv[0]}" is not an allowed program` };
  return { allowed: true, argv };
}
