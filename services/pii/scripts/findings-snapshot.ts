// Findings regression harness for speed work on the detector: runs `detect` over a fixed set of
// texts (the eval corpus of `npm run eval:pii`, the bench texts of `npm run bench:pii`, variants
// of them, edge-case fixtures and short adversarial inputs) under many option sets and writes
// every finding (type, start, end, score, detector) as text. An optimisation must leave the file
// byte-identical.
//
//   npx tsx services/pii/scripts/findings-snapshot.ts --out /tmp/pii-findings.before.txt
//   npx tsx services/pii/scripts/findings-snapshot.ts --check /tmp/pii-findings.before.txt
//
// The texts are saved next to the findings (FILE.texts.json) and read back by --check, so a
// snapshot stays comparable whatever changes in the corpus generator (its dates were relative
// to the clock until they were pinned to a reference date). --detector PATH takes `detect` from
// another copy of libs/pii-engine/src/detection/index.ts (e.g. the previous commit's, to write a baseline).
// No timing here: this is about what is found, not how fast.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as current from '@aegis/pii-engine';
import { BUILTIN_TYPES, compilePattern, EMPTY_POLICY, type DetectionPolicy, type DetectOptions } from '@aegis/pii-engine';
import { generateCorpus, type LabelledDocument } from '../eval/corpus.js';

const FIXTURES = new URL('./findings-fixtures.json', import.meta.url);

/** Documents joined (with "\n") until `bytes` long: the bench's texts. */
function joined(docs: readonly LabelledDocument[], bytes = Infinity): string {
  let text = '';
  for (const doc of docs) {
    if (text.length >= bytes) break;
    text += `${doc.text}\n`;
  }
  return bytes === Infinity ? text : text.slice(0, bytes);
}

function texts(): string[] {
  const out: string[] = [];
  const evalDocs = generateCorpus(5000, 42);
  const benchDocs = generateCorpus(3000, 99, { persons: false });
  const otherSeed = generateCorpus(1500, 7);
  for (const d of evalDocs) out.push(d.text);
  for (const d of otherSeed) out.push(d.text);
  for (const d of benchDocs.slice(0, 1000)) out.push(d.text);
  // The bench's 1 KB and 100 KB texts, and the whole bench corpus at once.
  out.push(joined(benchDocs, 1024), joined(benchDocs, 100 * 1024), joined(benchDocs));
  // Documents side by side (context words of the neighbour), and spelling variants.
  for (let i = 0; i < 1500; i += 6) out.push(joined(evalDocs.slice(i, i + 6)));
  for (const d of evalDocs.slice(0, 1500)) {
    out.push(d.text.toUpperCase(), d.text.toLowerCase());
    out.push(d.text.replace(/-/g, ' '), d.text.replace(/ /g, '-'), d.text.replace(/ /g, '\n'), d.text.replace(/\./g, ''), d.text.replace(/, /g, ' '));
  }
  // Edge cases written for the unit tests (string literals of the detection tests, frozen here).
  const fixtures = JSON.parse(readFileSync(FIXTURES, 'utf8')) as string[];
  out.push(...fixtures);
  for (let i = 0; i + 1 < fixtures.length; i += 2) out.push(`${fixtures[i]} ${fixtures[i + 1]}`);
  // Short adversarial inputs (the unit tests run them at 1 MB), alone and around real text.
  const K = 8 * 1024;
  const adversarial = [
    'a'.repeat(K), '1'.repeat(K), '1 '.repeat(K / 2), '12-'.repeat(K / 3), '1.'.repeat(K / 2), 'a.'.repeat(K / 2) + '@', 'a@'.repeat(K / 2),
    `x@${'a.'.repeat(K / 2)}`, 'a:'.repeat(K / 2), 'Ab9+'.repeat(K / 4), 'eyJ'.repeat(K / 3), 'a://b:c'.repeat(K / 7), '12ab:'.repeat(K / 5),
    '-----BEGIN '.repeat(K / 11), 'Ab '.repeat(K / 3), 'Dear Mr. '.repeat(K / 9), 'John '.repeat(K / 5), 'Mary Ann Smith-Jones '.repeat(K / 21),
    '555-123-4567 '.repeat(K / 13), '4111 1111 1111 1111 '.repeat(K / 20), 'DOB: 1990-01-02 '.repeat(K / 16),
  ];
  for (const [i, a] of adversarial.entries()) {
    out.push(a, `${evalDocs[i]!.text} ${a.slice(0, 200)} ${evalDocs[i + 1]!.text}`);
  }
  return out;
}

interface OptionSet {
  name: string;
  policy: DetectionPolicy;
  options: DetectOptions;
}

function optionSets(): OptionSet[] {
  const sets: OptionSet[] = [{ name: 'default', policy: EMPTY_POLICY, options: {} }];
  for (const type of BUILTIN_TYPES) sets.push({ name: `only ${type}`, policy: EMPTY_POLICY, options: { types: [type] } });
  for (const minScore of [0.1, 0.2, 0.25, 0.3, 0.4, 0.45, 0.6, 0.75, 0.9]) sets.push({ name: `minScore ${minScore}`, policy: EMPTY_POLICY, options: { minScore } });
  for (const defaultRegion of ['GB', 'DE', 'FR', 'CA', 'ZZ']) sets.push({ name: `region ${defaultRegion}`, policy: EMPTY_POLICY, options: { defaultRegion } });
  sets.push({ name: 'phone+ssn+date low', policy: EMPTY_POLICY, options: { types: ['phone', 'ssn', 'date_of_birth'], minScore: 0.15, defaultRegion: 'GB' } });
  // A tenant policy: allow-list, deny-list and patterns with context words.
  const policy: DetectionPolicy = {
    allowList: new Set(['support@example.com', '415-555-0100', 'Jane Doe', '10.0.0.1', 'Google Chrome', 'john.smith@example.com']),
    denyList: [{ type: 'project', value: 'Apollo' }, { type: 'email', value: 'example.com' }, { type: 'ticket', value: 'SKU-' }, { type: 'person', value: 'Monday' }],
    patterns: [
      compilePattern({ name: 'order_id', regex: '\\b\\d{6,10}\\b', score: 0.4, contextWords: ['Order', 'invoice'] }),
      compilePattern({ name: 'sku', regex: 'SKU-[0-9]{5}', contextWords: [] }),
      compilePattern({ name: 'tracking', regex: '1Z[0-9A-Z]{16}', score: 0.9 }),
      compilePattern({ name: 'word_pair', regex: '[A-Z][a-z]+ [A-Z][a-z]+', score: 0.3, contextWords: ['with', 'from', 'to'] }),
    ],
  };
  sets.push({ name: 'tenant policy', policy, options: {} });
  sets.push({ name: 'tenant policy low', policy, options: { minScore: 0.3 } });
  sets.push({ name: 'tenant policy types', policy, options: { types: ['order_id', 'project', 'person', 'email', 'ticket'] } });
  return sets;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const out = args[args.indexOf('--out') + 1];
  const check = args[args.indexOf('--check') + 1];
  if (!args.includes('--out') && !args.includes('--check')) throw new Error('usage: findings-snapshot.ts --out FILE | --check FILE [--detector PATH]');
  const { detect } = args.includes('--detector') ? ((await import(pathToFileURL(args[args.indexOf('--detector') + 1]!).href)) as typeof current) : current;
  const textsFile = `${args.includes('--out') ? out : check}.texts.json`;
  let all: string[];
  if (existsSync(textsFile)) all = JSON.parse(readFileSync(textsFile, 'utf8')) as string[];
  else {
    all = texts();
    writeFileSync(textsFile, JSON.stringify(all));
  }
  const lines: string[] = [];
  let findings = 0;
  for (const set of optionSets()) {
    lines.push(`# ${set.name}`);
    for (let t = 0; t < all.length; t++) {
      const found = detect(all[t]!, set.policy, set.options);
      if (found.length === 0) continue;
      findings += found.length;
      lines.push(`${t}\t${found.map((f) => `${f.type},${f.start},${f.end},${f.score},${f.detector}`).join(';')}`);
    }
  }
  const body = `${lines.join('\n')}\n`;
  const digest = createHash('sha256').update(body).digest('hex');
  console.log(`${all.length} texts, ${optionSets().length} option sets, ${findings} findings, sha256 ${digest}`);
  if (args.includes('--out')) {
    writeFileSync(out!, body);
    console.log(`written: ${out}`);
  }
  if (args.includes('--check')) {
    const expected = readFileSync(check!, 'utf8');
    if (expected === body) {
      console.log(`identical to ${check}`);
      return;
    }
    const want = expected.split('\n');
    const got = body.split('\n');
    let shown = 0;
    for (let i = 0; i < Math.max(want.length, got.length) && shown < 10; i++) {
      if (want[i] === got[i]) continue;
      // Only the findings that differ: lines of long texts hold hundreds.
      const a = new Set((want[i] ?? '').split(';'));
      const b = new Set((got[i] ?? '').split(';'));
      const missing = [...a].filter((f) => !b.has(f)).slice(0, 5);
      const extra = [...b].filter((f) => !a.has(f)).slice(0, 5);
      console.log(`line ${i + 1} (text ${(want[i] ?? got[i] ?? '').split('\t')[0]}): missing ${missing.join(' ')} | extra ${extra.join(' ')}`);
      shown++;
    }
    process.exitCode = 1;
  }
}

await main();
