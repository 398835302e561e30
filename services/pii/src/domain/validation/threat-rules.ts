// Heuristics for injection attempts. Each needs the syntax of an attack, not just its words:
// the plan's `(DROP|DELETE|INSERT|UPDATE)\s+` flags "please update the report", these do not
// (test/unit/validation measures false positives on ordinary English). Every quantifier is
// bounded, so each rule is linear in the input.

export type ThreatKind = 'sql_injection' | 'xss' | 'command_injection' | 'prompt_injection';

export interface ThreatRule {
  id: string;
  kind: ThreatKind;
  pattern: RegExp;
  confidence: number;
}

const SHELL_COMMANDS = 'rm|curl|wget|nc|ncat|netcat|bash|sh|zsh|python[23]?|perl|ruby|php|chmod|chown|sudo|powershell|whoami|uname|nslookup|mkfifo|base64|eval|exec|telnet|scp|ssh|killall|shutdown|reboot';

export const THREAT_RULES: readonly ThreatRule[] = [
  // SQL
  { id: 'sql.union_select', kind: 'sql_injection', pattern: /\bunion(?:\s+all)?\s+select\b/gi, confidence: 0.9 },
  { id: 'sql.tautology', kind: 'sql_injection', pattern: /['"]\s{0,5}(?:or|and)\s{1,5}['"]?(\w{1,20})['"]?\s{0,5}=\s{0,5}['"]?\1\b/gi, confidence: 0.9 },
  { id: 'sql.numeric_tautology', kind: 'sql_injection', pattern: /\bor\s{1,5}(\d{1,6})\s{0,5}=\s{0,5}\1\b/gi, confidence: 0.8 },
  { id: 'sql.stacked_query', kind: 'sql_injection', pattern: /;\s{0,10}(?:drop|delete|insert|update|alter|create|truncate|exec|shutdown|grant)\s{1,10}(?:table|from|into|database|schema|user|[\w.`"]{1,64}\s{1,10}set)\b/gi, confidence: 0.9 },
  { id: 'sql.comment_terminator', kind: 'sql_injection', pattern: /\w['"]\)?(?:--|#|\/\*)/g, confidence: 0.7 },
  { id: 'sql.drop_statement', kind: 'sql_injection', pattern: /\bdrop\s{1,10}(?:table|database|schema|index|view)\s{1,10}(?:if\s+exists\s+)?[\w.`"[]{1,64}/gi, confidence: 0.8 },
  { id: 'sql.delete_statement', kind: 'sql_injection', pattern: /\bdelete\s{1,10}from\s{1,10}[\w.`"[\]]{1,64}\s{1,10}where\b/gi, confidence: 0.7 },
  { id: 'sql.insert_statement', kind: 'sql_injection', pattern: /\binsert\s{1,10}into\s{1,10}[\w.`"[\]]{1,64}\s{0,10}(?:\(|values\b)/gi, confidence: 0.7 },
  { id: 'sql.update_statement', kind: 'sql_injection', pattern: /\bupdate\s{1,10}[\w.`"[\]]{1,64}\s{1,10}set\s{1,10}[\w`"[\]]{1,64}\s{0,5}=/gi, confidence: 0.7 },
  { id: 'sql.select_star', kind: 'sql_injection', pattern: /\bselect\s{1,10}\*\s{1,10}from\b/gi, confidence: 0.6 },
  { id: 'sql.time_delay', kind: 'sql_injection', pattern: /\b(?:sleep|benchmark|pg_sleep)\s{0,5}\(\s{0,5}\d|\bwaitfor\s{1,5}delay\b/gi, confidence: 0.8 },
  { id: 'sql.system_catalog', kind: 'sql_injection', pattern: /\b(?:information_schema|sysobjects|pg_catalog|sqlite_master)\b/gi, confidence: 0.6 },
  // XSS
  { id: 'xss.script_tag', kind: 'xss', pattern: /<\s{0,5}script\b/gi, confidence: 0.95 },
  { id: 'xss.event_handler', kind: 'xss', pattern: /<[a-z][a-z0-9]{0,15}\b[^>]{0,200}?\son[a-z]{3,25}\s{0,5}=/gi, confidence: 0.9 },
  { id: 'xss.script_url', kind: 'xss', pattern: /\b(?:javascript|vbscript|livescript)\s{0,5}:|\bdata\s{0,5}:\s{0,5}text\/html/gi, confidence: 0.8 },
  { id: 'xss.dangerous_tag', kind: 'xss', pattern: /<\s{0,5}(?:iframe|object|embed|applet|base|meta|frameset)\b/gi, confidence: 0.7 },
  // Shell
  { id: 'cmd.chained_command', kind: 'command_injection', pattern: new RegExp(`(?:;|&&|\\|\\||\\|)\\s{0,5}(?:${SHELL_COMMANDS})\\b(?:\\s{1,5}[-/~.$"'\\w])`, 'g'), confidence: 0.85 },
  { id: 'cmd.substitution', kind: 'command_injection', pattern: /\$\(\s{0,5}[\w/.-]{1,64}[^)\n]{0,200}\)/g, confidence: 0.8 },
  // Backticks quote code in Markdown; as a substitution they follow a value ("name=`whoami`").
  { id: 'cmd.backtick_substitution', kind: 'command_injection', pattern: new RegExp(`(?:[=:]\\s{0,2}|\\w)\`\\s{0,5}(?:${SHELL_COMMANDS}|cat|id|ls)\\b[^\`\\n]{0,200}\``, 'g'), confidence: 0.75 },
  { id: 'cmd.sensitive_path', kind: 'command_injection', pattern: /(?:[;|&`]|\$\()\s{0,5}[^\n]{0,100}?\/etc\/(?:passwd|shadow|sudoers)\b|(?:[;|&`]\s{0,5}cat\s{1,5}\/)/g, confidence: 0.85 },
  { id: 'cmd.reverse_shell', kind: 'command_injection', pattern: /\/dev\/tcp\/|\bnc\s{1,5}-[a-z]{0,5}e\b|\bbash\s{1,5}-i\s{1,5}>&/g, confidence: 0.95 },
  // Prompt
  { id: 'prompt.ignore_instructions', kind: 'prompt_injection', pattern: /\b(?:ignore|disregard|forget|override|bypass)\s{1,5}(?:(?:all|any|every|of|the|your|my|these|those)\s{1,5}){0,3}(?:(?:previous|prior|above|earlier|preceding|system|original|initial|developer)\s{1,5}(?:instructions?|prompts?|rules|directions|guidelines|directives|messages)|(?:instructions|guidelines|directives)\s{1,5}(?:above|before|you\s{1,5}(?:were|have\s{1,5}been)\s{1,5}given))\b/gi, confidence: 0.9 },
  { id: 'prompt.role_hijack', kind: 'prompt_injection', pattern: /\byou\s{1,5}are\s{1,5}now\s{1,5}(?:an?\s{1,5})?(?:unrestricted|unfiltered|jailbroken|evil|DAN|uncensored|free\s+from)\b|\b(?:act|behave)\s{1,5}as\s{1,5}(?:an?\s{1,5})?(?:unrestricted|unfiltered|jailbroken|uncensored|evil)\b|\bpretend\s{1,5}(?:to\s{1,5}be|you\s{1,5}are)\b[^.\n]{0,60}?\b(?:no|without)\s{1,5}(?:rules|restrictions|limits|filters|guidelines)\b/gi, confidence: 0.85 },
  { id: 'prompt.reveal_system_prompt', kind: 'prompt_injection', pattern: /\b(?:reveal|show|print|repeat|output|leak|dump|tell\s+me)\b[^.\n]{0,30}?\b(?:system\s{1,5}prompt|initial\s{1,5}instructions|hidden\s{1,5}instructions|your\s{1,5}(?:system\s{1,5})?instructions)\b/gi, confidence: 0.8 },
  { id: 'prompt.chat_delimiter', kind: 'prompt_injection', pattern: /<\|(?:im_start|im_end|system|endoftext|assistant|user)\|>|\[\/?INST\]|<<\/?SYS>>|###\s{0,5}(?:system|instruction)s?\s{0,5}:/gi, confidence: 0.85 },
  { id: 'prompt.jailbreak_mode', kind: 'prompt_injection', pattern: /\b(?:enable|activate|enter|switch\s+to)\s{1,5}(?:developer|DAN|jailbreak|god|unrestricted)\s{1,5}mode\b/gi, confidence: 0.8 },
];
