// Entry point of the `aegis` command (bin/aegis.js, or `npm run aegis -- ...`).
import { runCli } from './cli.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stdin: process.stdin,
  cwd: process.cwd(),
});
