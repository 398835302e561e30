import { create, fromJson, toJson } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { FindingSchema } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import { RuleMatchSchema } from '@aegis/proto/aegis/pii/v1/pii_service_pb.js';
import { actionMessage, findingMessage, jsonUnits, rebuiltJson, rebuiltText, scan, textUnits, type CompiledDlp, type ContentUnits, type Direction } from '@aegis/pii-engine';
import type { GuardContent, ScanSummary } from '../guard/types.js';

/** PiiService.Scan's answer worked out in process, as the guard's `scan()` returns it. */
export interface LocalScanResult {
  content: GuardContent;
  summary: ScanSummary;
  /**
   * Something was found: pii must still see the content for its audit of the detection, so
   * the caller sends it Scan after answering (the answer is this one already).
   */
  report: boolean;
}

/**
 * Scan's answer for `content` under `dlp`, or undefined where pii must answer before the
 * guard goes on: a BLOCK rule matched, or an alerting rule did (pii records those before it
 * answers), or the content is one the service would refuse (too large, not JSON-representable).
 * Everything else (nothing found, or only LOG, MASK and REDACT rules without alert) is the same
 * engine's answer as pii's, so it is given here. The content goes through the same proto3 JSON
 * conversion as on the wire, so the answer equals the remote one.
 */
export function scanLocally(dlp: CompiledDlp, content: GuardContent, direction: Direction): LocalScanResult | undefined {
  let units: ContentUnits;
  try {
    units = typeof content === 'string' ? textUnits(content) : jsonUnits(toJson(ValueSchema, fromJson(ValueSchema, content.json)));
  } catch {
    return undefined;
  }
  const outcome = scan({ dlp, policy: dlp.policy, units: units.units, direction, options: {} });
  if (outcome.skipped) return { content, summary: { scanned: false, findings: [], matchedRules: [] }, report: false };
  if (!outcome.allowed || outcome.matchedRules.some((m) => m.alert)) return undefined;
  const texts = new Map(outcome.units.map((u) => [u.path, u.text]));
  return {
    content: units.kind === 'text' ? rebuiltText(units, texts) : { json: rebuiltJson(units, texts) },
    summary: {
      scanned: true,
      findings: outcome.findings.map((f) => create(FindingSchema, findingMessage(f, f.replacement ?? ''))),
      matchedRules: outcome.matchedRules.map((m) => create(RuleMatchSchema, { ruleName: m.rule, action: actionMessage(m.action), alert: m.alert, findingCount: m.count })),
    },
    report: outcome.findings.length > 0,
  };
}
