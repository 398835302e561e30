// `aegis audit verify --server`: the audit sink's VerifyAuditChain, which recomputes a tenant's
// chains from what the sink stored, with the keys the sink trusts. Where `verify --file` or
// `--brokers` checks what the caller holds, this checks the long-term copy.
import { AuditLogService, ChainViolationKind, VerifyAuditChainResponseSchema, type ChainReport } from '@aegis/proto/aegis/events/v1/audit_log_service_pb.js';
import { EXIT } from '../../command.js';
import { messageJson } from '../../output/json.js';
import { enumName } from '../../output/values.js';
import { serverCommand } from '../../server/server-command.js';
import { pastTime } from './audit-filter.js';

/** Events after the last valid checkpoint: hash-consistent, but a cut-off tail cannot be ruled out yet. */
function unsignedOf(chain: ChainReport): bigint {
  const covered = chain.signedSequence >= chain.firstSequence ? chain.signedSequence : chain.firstSequence - 1n;
  return chain.lastSequence > covered ? chain.lastSequence - covered : 0n;
}

export const auditVerifyServer = serverCommand({
  group: 'audit', name: 'verify', summary: 'Verify the chains the audit sink stored',
  usage: '--server [options]',
  description: `Asks the audit sink to verify the tenant's hash chains and signed checkpoints as it
stored them (VerifyAuditChain), with the producers' public keys the sink trusts
(its AEGIS_AUDIT_PUBLIC_KEYS). Reports altered, missing, reordered and duplicated events
and bad checkpoints per chain. Needs the audit:verify permission in the tenant.
Exit codes here: 0 intact, 1 a violation (or, with --require-signed, unsigned events).`,
  services: ['audit'],
  tenantOptional: true,
  options: {
    server: { type: 'boolean', help: 'Verify on the audit sink (this mode)' },
    producer: { type: 'string', placeholder: 'id', help: 'Only this producer\'s chain, e.g. auth/0193...' },
    since: { type: 'string', placeholder: 'time', help: 'Only events at or after this time (RFC 3339, a date, or 7d ago); chains may start mid-window' },
    until: { type: 'string', placeholder: 'time', help: 'Only events before this time' },
    'require-signed': { type: 'boolean', help: 'Also fail when an event is not covered by a valid checkpoint' },
  },
  examples: ['aegis audit verify --server --tenant acme', 'aegis audit verify --server --since 30d --require-signed --json'],
  async run(ctx) {
    const since = ctx.string('since');
    const until = ctx.string('until');
    const res = await ctx.client(AuditLogService).verifyAuditChain({
      tenantId: ctx.tenantOrOwn(),
      producerId: ctx.string('producer') ?? '',
      ...(since !== undefined || until !== undefined
        ? { interval: { ...(since !== undefined ? { startTime: pastTime('since', since) } : {}), ...(until !== undefined ? { endTime: pastTime('until', until) } : {}) } }
        : {}),
    });
    const unsigned = res.chains.reduce((sum, chain) => sum + unsignedOf(chain), 0n);
    ctx.print(messageJson(VerifyAuditChainResponseSchema, res), () => {
      const lines = [`${res.chains.length} chain(s) stored by the sink`];
      for (const chain of res.chains) {
        const tail = unsignedOf(chain) > 0n ? `, unverified tail ${unsignedOf(chain)} event(s) after the last valid checkpoint` : '';
        lines.push(`  ${chain.violations.length === 0 ? 'ok  ' : 'FAIL'} ${chain.producerId || '(no producer)'}: sequences ${chain.firstSequence}-${chain.lastSequence}, ${chain.verifiedCount} verified, signed through ${chain.signedSequence}${tail}`);
        for (const v of chain.violations) lines.push(`    ${enumName(ChainViolationKind, v.kind, 'CHAIN_VIOLATION_KIND')} at sequence ${v.sequence}${v.eventId === '' ? '' : ` (event ${v.eventId})`}: ${v.detail}`);
      }
      const violations = res.chains.reduce((sum, chain) => sum + chain.violations.length, 0);
      lines.push(res.intact ? `verified${unsigned > 0n ? ` (${unsigned} event(s) in unverified tails)` : ''}` : `${violations} violation(s)`);
      return `${lines.join('\n')}\n`;
    });
    return !res.intact || (ctx.flag('require-signed') && unsigned > 0n) ? EXIT.failed : EXIT.ok;
  },
});
