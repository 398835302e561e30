// aegis pii scan: the pii service's Detect (a findings table) or Redact (--redact: the text
// with findings replaced). The text comes from the argument, --file, or stdin. Findings are
// shown by position and type, never by value: the terminal is not a place to copy PII to.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DetectResponseSchema, PiiService, RedactResponseSchema } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import { RedactionStyle, type Finding } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import { EXIT, type CliIO } from '../../command.js';
import { messageJson } from '../../output/json.js';
import { renderTable } from '../../output/table.js';
import { parseEnum } from '../../output/values.js';
import { serverCommand, UsageError, type ServerContext } from '../../server/server-command.js';

export const piiScan = serverCommand({
  group: 'pii', name: 'scan', summary: 'Find PII in text, or print it redacted',
  usage: '[options] [<text> | --file <file> | -]',
  description: `Scans text with the tenant's detectors and DLP settings (custom patterns, allow and deny
lists): the text given as the argument, read from --file, or from stdin (no argument, or -).
Prints the findings (type, line:column, score, detector; never the values), or with --redact
the text with every finding replaced. Exit code 0 either way; use --json to script on them.`,
  services: ['pii'],
  positionals: { min: 0, max: 1 },
  options: {
    file: { type: 'string', placeholder: 'file', help: 'Read the text from this file' },
    redact: { type: 'boolean', help: 'Print the redacted text instead of the findings' },
    style: { type: 'string', placeholder: 'style', help: 'With --redact: fixed, type (<EMAIL>) or instance (<EMAIL_1>); default type' },
    replacement: { type: 'string', placeholder: 'text', help: 'With --redact --style fixed: the replacement (default ***REDACTED***)' },
    type: { type: 'string', multiple: true, placeholder: 'type', help: 'Only this PII type (email, phone, ssn, credit_card, ...)' },
    'min-score': { type: 'string', placeholder: '0-1', help: 'Drop findings scoring below this (default 0.5)' },
    region: { type: 'string', placeholder: 'code', help: 'Region for phone numbers without a country code (default US)' },
  },
  examples: ['aegis pii scan "call me at 415-555-0100"', 'cat ticket.txt | aegis pii scan --redact > ticket.redacted.txt', 'aegis pii scan --file export.csv --json | jq ".findings | length"'],
  async run(ctx) {
    const text = await inputText(ctx);
    const minScoreText = ctx.string('min-score');
    const minScore = minScoreText === undefined ? 0 : Number(minScoreText);
    if (!(minScore >= 0 && minScore <= 1)) throw new UsageError('--min-score must be a number from 0 to 1');
    const options = { types: ctx.strings('type'), minScore, defaultRegion: ctx.string('region') ?? '' };
    const content = { kind: { case: 'text' as const, value: text } };
    const tenantId = await ctx.tenant();
    if (ctx.flag('redact')) {
      const style = parseEnum(RedactionStyle, ctx.string('style') ?? 'type', 'REDACTION_STYLE');
      if (style === undefined) throw new UsageError('--style must be fixed, type or instance');
      const res = await ctx.client(PiiService).redact({ tenantId, content, options, style, replacement: ctx.string('replacement') ?? '' });
      const redacted = res.content?.kind.case === 'text' ? res.content.kind.value : '';
      ctx.print(messageJson(RedactResponseSchema, res), () => (redacted.endsWith('\n') || redacted === '' ? redacted : `${redacted}\n`));
      return EXIT.ok;
    }
    if (ctx.string('style') !== undefined || ctx.string('replacement') !== undefined) throw new UsageError('--style and --replacement need --redact');
    const res = await ctx.client(PiiService).detect({ tenantId, content, options });
    const position = lineColumn(text);
    ctx.print(messageJson(DetectResponseSchema, res), () => `${renderTable([
      { header: 'type', value: (f: Finding) => f.type },
      { header: 'at', value: (f) => position(f.start) },
      { header: 'length', value: (f) => String(f.end - f.start) },
      { header: 'score', value: (f) => f.score.toFixed(2) },
      { header: 'detector', value: (f) => f.detector },
    ], res.findings, 'no PII found')}${res.hasPii ? `\n${res.findings.length} finding(s): ${res.types.join(', ')}\n` : ''}`);
    return EXIT.ok;
  },
});

async function inputText(ctx: ServerContext): Promise<string> {
  const file = ctx.string('file');
  const arg = ctx.args[0];
  if (file !== undefined && arg !== undefined) throw new UsageError('give the text as an argument or with --file, not both');
  if (file !== undefined) {
    const text = await readFile(resolve(ctx.io.cwd, file), 'utf8').catch(() => undefined);
    if (text === undefined) throw new UsageError(`--file: cannot read ${file}`);
    return text;
  }
  if (arg !== undefined && arg !== '-') return arg;
  return readStdin(ctx.io);
}

async function readStdin(io: CliIO): Promise<string> {
  // A terminal on stdin means nobody piped anything: waiting for typing would look like a hang.
  if (io.stdin === undefined || (io.stdin as { isTTY?: boolean }).isTTY === true) throw new UsageError('no text: give it as an argument, with --file, or pipe it on stdin');
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of io.stdin) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

/** UTF-16 offset -> `line:column` (1-based), as an editor shows it. */
function lineColumn(text: string): (offset: number) => string {
  const starts = [0];
  for (let i = 0; i < text.length; i += 1) if (text[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let line = starts.length - 1;
    while (line > 0 && starts[line]! > offset) line -= 1;
    return `${line + 1}:${offset - starts[line]! + 1}`;
  };
}
