import type { SqlDatabase, SqlExecutor } from '@aegis/shared';
import type { DlpAction, DlpRuleSpec, DlpSettings, Direction, RedactionStyle } from '@aegis/pii-engine';
import { DLP_CHANGED_CHANNEL, encodeDlpChange } from '../../dlp/dlp-change.js';
import type { DlpStore, StoreConflict } from '../../dlp/ports.js';

interface ConfigRow {
  tenant_id: string;
  scan_inputs: boolean;
  scan_outputs: boolean;
  allow_list: string[];
  deny_list: { type: string; value: string }[];
  custom_patterns: DlpSettings['customPatterns'];
  redaction_style: RedactionStyle;
  version: string;
  update_time: Date | string;
  updated_by: string;
}

interface RuleRow {
  tenant_id: string;
  name: string;
  description: string;
  pii_type: string | null;
  pattern: string | null;
  action: DlpAction;
  alert: boolean;
  min_score: number;
  directions: Direction[];
  enabled: boolean;
  version: string;
  update_time: Date | string;
  updated_by: string;
}

const RULE_COLUMNS = 'tenant_id, name, description, pii_type, pattern, action, alert, min_score, directions, enabled, version, update_time, updated_by';

/** DLP settings and rules in the service's schema; every change bumps the tenant's revision and notifies. */
export class PostgresDlpStore implements DlpStore {
  constructor(private readonly db: SqlDatabase) {}

  async loadSettings(tenantId: string): Promise<DlpSettings | undefined> {
    const { rows } = await this.db.query<ConfigRow>('SELECT * FROM dlp_configs WHERE tenant_id = $1', [tenantId]);
    return rows[0] === undefined ? undefined : settingsOf(rows[0]);
  }

  async loadRules(tenantId: string): Promise<DlpRuleSpec[]> {
    const { rows } = await this.db.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM dlp_rules WHERE tenant_id = $1 ORDER BY name`, [tenantId]);
    return rows.map(ruleOf);
  }

  async revision(tenantId: string): Promise<bigint> {
    const { rows } = await this.db.query<{ revision: string }>('SELECT revision FROM dlp_revisions WHERE tenant_id = $1', [tenantId]);
    return rows[0] === undefined ? 0n : BigInt(rows[0].revision);
  }

  async revisions(tenantIds: readonly string[]): Promise<Map<string, bigint>> {
    const { rows } = await this.db.query<{ tenant_id: string; revision: string }>('SELECT tenant_id, revision FROM dlp_revisions WHERE tenant_id = ANY($1::text[])', [tenantIds]);
    return new Map(rows.map((r) => [r.tenant_id, BigInt(r.revision)]));
  }

  async listRules(tenantId: string, afterName: string, limit: number): Promise<DlpRuleSpec[]> {
    const { rows } = await this.db.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM dlp_rules WHERE tenant_id = $1 AND name > $2 ORDER BY name LIMIT $3`, [tenantId, afterName, limit]);
    return rows.map(ruleOf);
  }

  async getRule(tenantId: string, name: string): Promise<DlpRuleSpec | undefined> {
    const { rows } = await this.db.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM dlp_rules WHERE tenant_id = $1 AND name = $2`, [tenantId, name]);
    return rows[0] === undefined ? undefined : ruleOf(rows[0]);
  }

  saveSettings(settings: DlpSettings, expectedVersion: bigint): Promise<DlpSettings | StoreConflict> {
    return this.db.transaction(async (tx) => {
      await bumpRevision(tx, settings.tenantId);
      const current = await tx.query<{ version: string }>('SELECT version FROM dlp_configs WHERE tenant_id = $1 FOR UPDATE', [settings.tenantId]);
      const version = current.rows[0] === undefined ? 0n : BigInt(current.rows[0].version);
      if (expectedVersion !== 0n && expectedVersion !== version) return { conflict: 'version', currentVersion: version };
      const { rows } = await tx.query<ConfigRow>(
        `INSERT INTO dlp_configs (tenant_id, scan_inputs, scan_outputs, allow_list, deny_list, custom_patterns, redaction_style, version, update_time, updated_by)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7, $8, now(), $9)
         ON CONFLICT (tenant_id) DO UPDATE SET scan_inputs = EXCLUDED.scan_inputs, scan_outputs = EXCLUDED.scan_outputs,
           allow_list = EXCLUDED.allow_list, deny_list = EXCLUDED.deny_list, custom_patterns = EXCLUDED.custom_patterns,
           redaction_style = EXCLUDED.redaction_style, version = EXCLUDED.version, update_time = EXCLUDED.update_time, updated_by = EXCLUDED.updated_by
         RETURNING *`,
        [settings.tenantId, settings.scanInputs, settings.scanOutputs, JSON.stringify(settings.allowList), JSON.stringify(settings.denyList),
          JSON.stringify(settings.customPatterns), settings.redactionStyle, String(version + 1n), settings.updatedBy],
      );
      return settingsOf(rows[0]!);
    });
  }

  createRule(rule: DlpRuleSpec): Promise<DlpRuleSpec | StoreConflict> {
    return this.db.transaction(async (tx) => {
      await bumpRevision(tx, rule.tenantId);
      const { rows } = await tx.query<RuleRow>(
        `INSERT INTO dlp_rules (${RULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10, 1, now(), $11)
         ON CONFLICT (tenant_id, name) DO NOTHING RETURNING ${RULE_COLUMNS}`,
        ruleParams(rule),
      );
      return rows[0] === undefined ? { conflict: 'exists' } : ruleOf(rows[0]);
    });
  }

  updateRule(rule: DlpRuleSpec, expectedVersion: bigint): Promise<DlpRuleSpec | StoreConflict> {
    return this.db.transaction(async (tx) => {
      await bumpRevision(tx, rule.tenantId);
      const current = await tx.query<{ version: string }>('SELECT version FROM dlp_rules WHERE tenant_id = $1 AND name = $2 FOR UPDATE', [rule.tenantId, rule.name]);
      if (current.rows[0] === undefined) return { conflict: 'missing' };
      const version = BigInt(current.rows[0].version);
      if (expectedVersion !== 0n && expectedVersion !== version) return { conflict: 'version', currentVersion: version };
      const { rows } = await tx.query<RuleRow>(
        `UPDATE dlp_rules SET description = $3, pii_type = $4, pattern = $5, action = $6, alert = $7, min_score = $8, directions = $9::text[],
           enabled = $10, version = version + 1, update_time = now(), updated_by = $11
         WHERE tenant_id = $1 AND name = $2 RETURNING ${RULE_COLUMNS}`,
        ruleParams(rule),
      );
      return ruleOf(rows[0]!);
    });
  }

  deleteRule(tenantId: string, name: string, expectedVersion: bigint): Promise<DlpRuleSpec | StoreConflict> {
    return this.db.transaction(async (tx) => {
      await bumpRevision(tx, tenantId);
      const { rows } = await tx.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM dlp_rules WHERE tenant_id = $1 AND name = $2 FOR UPDATE`, [tenantId, name]);
      if (rows[0] === undefined) return { conflict: 'missing' };
      const rule = ruleOf(rows[0]);
      if (expectedVersion !== 0n && expectedVersion !== rule.version) return { conflict: 'version', currentVersion: rule.version };
      await tx.query('DELETE FROM dlp_rules WHERE tenant_id = $1 AND name = $2', [tenantId, name]);
      return rule;
    });
  }
}

/**
 * Serialises a tenant's writers (row lock) and announces the change. A transaction that ends
 * in a conflict returns normally and so commits the bump too: harmless, a reload finds the
 * same content.
 */
async function bumpRevision(tx: SqlExecutor, tenantId: string): Promise<void> {
  const { rows } = await tx.query<{ revision: string }>(
    `INSERT INTO dlp_revisions (tenant_id, revision) VALUES ($1, 1)
     ON CONFLICT (tenant_id) DO UPDATE SET revision = dlp_revisions.revision + 1 RETURNING revision`,
    [tenantId],
  );
  await tx.query('SELECT pg_notify($1, $2)', [DLP_CHANGED_CHANNEL, encodeDlpChange({ tenantId, revision: BigInt(rows[0]!.revision) })]);
}

function ruleParams(rule: DlpRuleSpec): unknown[] {
  return [rule.tenantId, rule.name, rule.description, rule.match.kind === 'type' ? rule.match.type : null, rule.match.kind === 'pattern' ? rule.match.pattern : null,
    rule.action, rule.alert, rule.minScore, rule.directions, rule.enabled, rule.updatedBy];
}

function settingsOf(row: ConfigRow): DlpSettings {
  return {
    tenantId: row.tenant_id,
    scanInputs: row.scan_inputs,
    scanOutputs: row.scan_outputs,
    allowList: row.allow_list,
    denyList: row.deny_list,
    customPatterns: row.custom_patterns,
    redactionStyle: row.redaction_style,
    version: BigInt(row.version),
    updateTime: new Date(row.update_time),
    updatedBy: row.updated_by,
  };
}

function ruleOf(row: RuleRow): DlpRuleSpec {
  return {
    tenantId: row.tenant_id,
    name: row.name,
    description: row.description,
    match: row.pii_type !== null ? { kind: 'type', type: row.pii_type } : { kind: 'pattern', pattern: row.pattern ?? '' },
    action: row.action,
    alert: row.alert,
    minScore: Number(row.min_score),
    directions: row.directions,
    enabled: row.enabled,
    version: BigInt(row.version),
    updateTime: new Date(row.update_time),
    updatedBy: row.updated_by,
  };
}
