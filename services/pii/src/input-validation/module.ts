import type { ConnectRouter } from '@connectrpc/connect';
import { CommandRejection, HtmlProfile, InputValidationService, ThreatKind } from '@aegis/proto/aegis/pii/v1/input_validation_service_pb.js';
import { invalidArgument } from '@aegis/shared';
import { detectThreats, sanitizeCommand, sanitizeHtmlText, stripInvisible, findInvisible, type CommandRejection as Rejection, type ThreatKind as Kind } from '../domain/validation/index.js';

// Thin handlers: validate size, call the domain, map enums. Findings are answers, not errors.

const MAX_INPUT = 1024 * 1024;
const KINDS: Record<Kind, ThreatKind> = {
  sql_injection: ThreatKind.SQL_INJECTION,
  xss: ThreatKind.XSS,
  command_injection: ThreatKind.COMMAND_INJECTION,
  prompt_injection: ThreatKind.PROMPT_INJECTION,
};
const REJECTIONS: Record<Rejection, CommandRejection> = {
  empty: CommandRejection.EMPTY,
  shell_metacharacter: CommandRejection.SHELL_METACHARACTER,
  program_not_allowed: CommandRejection.PROGRAM_NOT_ALLOWED,
  unbalanced_quotes: CommandRejection.UNBALANCED_QUOTES,
  control_character: CommandRejection.CONTROL_CHARACTER,
};

function limited(field: string, text: string): string {
  if (text.length > MAX_INPUT) throw invalidArgument(field, 'must be at most 1 MiB');
  return text;
}

export function registerInputValidationService(router: ConnectRouter): void {
  router.service(InputValidationService, {
    validateInput(req) {
      const text = limited('text', req.text);
      if (!(req.threshold >= 0 && req.threshold <= 1)) throw invalidArgument('threshold', 'must be within 0-1');
      const kinds = req.kinds.map((k, i) => {
        const kind = (Object.keys(KINDS) as Kind[]).find((name) => KINDS[name] === k);
        if (kind === undefined) throw invalidArgument(`kinds[${i}]`, 'must be a known threat kind');
        return kind;
      });
      const signals = detectThreats(text, kinds, req.threshold > 0 ? req.threshold : 0.5);
      return { suspicious: signals.length > 0, signals: signals.map((s) => ({ ...s, kind: KINDS[s.kind] })) };
    },
    sanitizeHtml(req) {
      return sanitizeHtmlText(limited('html', req.html), req.profile === HtmlProfile.BASIC ? 'basic' : 'text_only');
    },
    sanitizeCommand(req) {
      if (req.allowedPrograms.length === 0) throw invalidArgument('allowed_programs', 'must name at least one program');
      const verdict = sanitizeCommand(limited('command', req.command), req.allowedPrograms);
      if (verdict.allowed) return { allowed: true, argv: verdict.argv };
      return { allowed: false, rejection: REJECTIONS[verdict.rejection], detail: verdict.detail };
    },
    stripInvisible(req) {
      const text = limited('text', req.text);
      if (req.detectOnly) return { text, characters: findInvisible(text) };
      return stripInvisible(text);
    },
  });
}
