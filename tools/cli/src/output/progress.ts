import type { CliIO } from '../command.js';

// Progress of long work, on stderr so stdout stays clean for tables and --json. Shown on a
// terminal (rewriting one line), or with --progress as plain lines (CI logs); silent otherwise.

export interface Progress {
  update(text: string): void;
  /** Clears the line on a terminal. */
  done(): void;
}

export function progressFor(io: CliIO, forced: boolean): Progress {
  const tty = io.stderr.isTTY === true;
  if (!tty && !forced) return { update: () => {}, done: () => {} };
  let shown = false;
  return {
    update(text) {
      if (tty) {
        io.stderr.write(`\r\x1b[2K${text}`);
        shown = true;
      } else io.stderr.write(`${text}\n`);
    },
    done() {
      if (tty && shown) io.stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}
