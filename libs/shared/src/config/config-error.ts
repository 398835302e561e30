export interface ConfigIssue {
  variable: string;
  message: string;
}

/**
 * Thrown once at start-up with every bad variable, so an operator fixes the environment
 * in one pass instead of one restart per mistake. Messages name variables, never echo
 * values: the process log is not a safe place for a DATABASE_URL or a signing secret.
 */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const lines = issues.map((issue) => `  ${issue.variable}: ${issue.message}`);
    super(`invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
