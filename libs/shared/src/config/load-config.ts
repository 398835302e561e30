import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';

export type EnvSource = Record<string, string | undefined>;

// Names whose values are credentials, or may contain them (URLs carry user:password@).
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|KEY|PEPPER|CREDENTIAL|PRIVATE|DSN|URL|URI/i;

export function looksSecret(variable: string): boolean {
  return SECRET_NAME.test(variable);
}

/**
 * `VAR=` in a .env file or a Kubernetes manifest means "not set" to the person who wrote
 * it; treating it as a value would turn every optional variable into a parse error.
 */
function withoutEmptyValues(env: EnvSource): EnvSource {
  const out: EnvSource = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') out[name] = value;
  }
  return out;
}

function issueMessage(variable: string, message: string, env: EnvSource): string {
  if (env[variable] === undefined) return 'is required but not set';
  const value = env[variable];
  // Schema authors write messages; a refinement could still quote the input. For
  // secret-looking names the message is only kept if it does not contain the value.
  if (looksSecret(variable) && value !== undefined && message.includes(value)) return 'is invalid';
  return message;
}

/**
 * Parses the environment once against a zod object whose keys are the variable names
 * (PORT, DATABASE_URL, ...). Throws a ConfigError listing every bad variable.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: EnvSource = process.env): z.infer<S> {
  const source = withoutEmptyValues(env);
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const issues: ConfigIssue[] = result.error.issues.map((issue) => {
    const [first] = issue.path;
    // An object-level refinement (path []) concerns several variables; keep its message.
    if (first === undefined) return { variable: '(environment)', message: issue.message };
    const variable = String(first);
    return { variable, message: issueMessage(variable, issue.message, source) };
  });
  throw new ConfigError(issues);
}
