import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// Runs the `sh step=<name>` blocks of a README as a reader would paste them into one shell:
// variables a step assigns (ALICE_KEY=...) are there for the next step. Only the service
// addresses change: the README says http://localhost:<default port>, the test's processes
// listen on free ports.

export interface WalkthroughStep {
  name: string;
  script: string;
}

const STEP_BLOCK = /^```sh step=([a-z0-9-]+)\n([\s\S]*?)^```$/gm;
const ASSIGNMENT = /^([A-Z][A-Z0-9_]*)=/gm;
const LOCAL_URL = /http:\/\/localhost:(\d+)/g;

export async function readWalkthrough(readmePath: string): Promise<WalkthroughStep[]> {
  const text = await readFile(readmePath, 'utf8');
  return [...text.matchAll(STEP_BLOCK)].map((m) => ({ name: m[1]!, script: m[2]! }));
}

export interface StepResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Walkthrough {
  readonly #steps: Map<string, WalkthroughStep>;
  readonly #stateFile: string;
  readonly #variables: string[];

  constructor(
    steps: readonly WalkthroughStep[],
    /** Default port in the README -> the URL the service actually has. */
    private readonly urls: Record<string, string>,
    /** Environment of the reader's shell, e.g. ADMIN_KEY. */
    private readonly env: Record<string, string>,
    workDir: string,
  ) {
    this.#steps = new Map(steps.map((s) => [s.name, s]));
    this.#stateFile = join(workDir, 'walkthrough-state.sh');
    this.#variables = [...new Set(steps.flatMap((s) => [...s.script.matchAll(ASSIGNMENT)].map((m) => m[1]!)))];
  }

  /** The step's script with the test's addresses; throws for an address the test does not know. */
  scriptOf(name: string): string {
    const step = this.#steps.get(name);
    if (step === undefined) throw new Error(`the README has no "sh step=${name}" block`);
    return step.script.replace(LOCAL_URL, (_all, port: string) => {
      const url = this.urls[port];
      if (url === undefined) throw new Error(`step ${name} calls http://localhost:${port}, which is no service's default port`);
      return url;
    });
  }

  /** Runs one step in bash (pipefail) after the previous steps' variables. */
  async run(name: string): Promise<StepResult> {
    const script = this.scriptOf(name);
    await writeFile(this.#stateFile, '', { flag: 'a' });
    const save = this.#variables.length > 0 ? `declare -p ${this.#variables.join(' ')} 2>/dev/null > ${JSON.stringify(this.#stateFile)} || true` : '';
    const wrapped = `set -o pipefail\nsource ${JSON.stringify(this.#stateFile)}\n${script}\nstatus=$?\n${save}\nexit $status\n`;
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['-c', wrapped], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
      child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }
}
