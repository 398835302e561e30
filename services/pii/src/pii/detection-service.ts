import type { Content, DetectionOptions, Finding as FindingMessage } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { FindingSchema } from '@aegis/proto/aegis/pii/v1/content_pb.js';
import { detect, findingMessage, replaceSpans, type Finding } from '@aegis/pii-engine';
import type { DlpCache } from '../dlp/dlp-cache.js';
import { contentUnits, rebuildContent } from './content.js';
import { requestDetection } from './request-options.js';

export interface LocatedFinding extends Finding {
  path: string;
  value: string;
}

export type FindingInit = MessageInitShape<typeof FindingSchema>;

/** Detection and span replacement over text or JSON content, with the tenant's DLP lists and patterns. */
export class ContentDetection {
  constructor(private readonly dlp: DlpCache) {}

  async findings(tenantId: string, content: Content | undefined, options: DetectionOptions | undefined): Promise<{ findings: LocatedFinding[]; units: ReturnType<typeof contentUnits> }> {
    const units = contentUnits(content);
    const tenant = await this.dlp.get(tenantId);
    const request = requestDetection(tenant.policy, options);
    const findings: LocatedFinding[] = [];
    for (const unit of units.units) {
      for (const f of detect(unit.text, request.policy, request.options)) findings.push({ ...f, path: unit.path, value: unit.text.slice(f.start, f.end) });
    }
    return { findings, units };
  }

  /** Detects, then replaces each finding with `replacementOf`; the content keeps its kind. */
  async transform(tenantId: string, content: Content | undefined, options: DetectionOptions | undefined, replacementOf: (f: LocatedFinding) => string): Promise<{ content: { kind: Content['kind'] }; findings: FindingInit[]; located: LocatedFinding[] }> {
    const { findings, units } = await this.findings(tenantId, content, options);
    const texts = new Map<string, string>();
    const replacements = new Map<LocatedFinding, string>();
    for (const unit of units.units) {
      const own = findings.filter((f) => f.path === unit.path);
      if (own.length === 0) continue;
      texts.set(unit.path, replaceSpans(unit.text, own, (f) => {
        const replacement = replacementOf(f as LocatedFinding);
        replacements.set(f as LocatedFinding, replacement);
        return replacement;
      }).text);
    }
    return { content: { kind: rebuildContent(units, texts) }, findings: findings.map((f) => findingMessage(f, replacements.get(f) ?? '')), located: findings };
  }
}

/** Detect's and Scan's finding message (the engine's, shared with the SDK's local scan). */
export { findingMessage };

export type { FindingMessage };
