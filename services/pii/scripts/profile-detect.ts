// Profiling driver for the detector: `detect` with default options on the bench's 1 KB or 100 KB
// text in a loop, then the time per call of each recognizer alone (CPU time, same process).
//   npx tsx services/pii/scripts/profile-detect.ts [--kb 100] [--ms 3000]
//   node --cpu-prof --import tsx services/pii/scripts/profile-detect.ts --kb 100
import { performance } from 'node:perf_hooks';
import { BUILTIN_TYPES, detect, EMPTY_POLICY } from '@aegis/pii-engine';
import { generateCorpus } from '../eval/corpus.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : fallback);
const bytes = arg('kb', 100) * 1024;
const ms = arg('ms', 3000);

let text = '';
for (const doc of generateCorpus(3000, 99, { persons: false })) {
  if (text.length >= bytes) break;
  text += `${doc.text}\n`;
}
text = text.slice(0, bytes);

/** Microseconds of CPU time per call of `fn`, over about `budget` ms. */
function perCall(fn: () => unknown, budget: number): number {
  const until = performance.now() + budget;
  const cpu = process.cpuUsage();
  let calls = 0;
  while (performance.now() < until) {
    fn();
    calls++;
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / calls;
}

perCall(() => detect(text, EMPTY_POLICY), ms / 3);
const all = perCall(() => detect(text, EMPTY_POLICY), ms);
console.log(`${text.length} characters: detect ${all.toFixed(1)} µs per call, ${((text.length / all)).toFixed(1)} MB/s of CPU time`);
for (const type of BUILTIN_TYPES) {
  const us = perCall(() => detect(text, EMPTY_POLICY, { types: [type] }), ms / 10);
  console.log(`  ${type.padEnd(22)} ${us.toFixed(1)} µs`);
}
