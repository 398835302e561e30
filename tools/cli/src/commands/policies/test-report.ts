import type { Decision } from '@aegis/proto/aegis/policy/v1/decision_pb.js';
import type { RunPolicyTestsResponse } from '@aegis/proto/aegis/policy/v1/policy_test_service_pb.js';
import {
  effectName,
  formatProblem,
  reasonName,
  unmetExpectations,
  type PolicyFileProblem,
  type PolicyTestSuite,
} from '@aegis/policy-service/policy-tests';
import type { CliIO } from '../../command.js';

/** One case's outcome: the server's (or in-process) decision judged against the file's expectation. */
export interface CaseReport {
  file: string;
  line: number | undefined;
  name: string;
  passed: boolean;
  /** Why it failed, one sentence each; empty when passed. */
  failures: string[];
  decision: Decision | undefined;
}

export interface RunSummary {
  /** `offline` or the server URL. */
  mode: string;
  tenant: string;
  /** Said after the counts, e.g. "drafts from 3 files and the built-in roles". */
  rules: string;
}

export function caseReports(suite: PolicyTestSuite, response: RunPolicyTestsResponse): CaseReport[] {
  return suite.cases.map((c, i) => {
    const decision = response.results[i]?.decision;
    const failures = unmetExpectations(c.expectation, decision);
    return { file: c.file, line: c.line, name: c.name, passed: failures.length === 0, failures, decision };
  });
}

export function writeReport(io: CliIO, reports: readonly CaseReport[], summary: RunSummary, json: boolean): void {
  const passed = reports.filter((r) => r.passed).length;
  const failed = reports.length - passed;
  if (json) {
    io.stdout.write(`${JSON.stringify({ ...summary, passed, failed, results: reports.map(jsonCase) }, null, 2)}\n`);
    return;
  }
  let file: string | undefined;
  for (const report of reports) {
    if (report.file !== file) {
      file = report.file;
      io.stdout.write(`${file}\n`);
    }
    io.stdout.write(`  ${report.passed ? 'PASS' : 'FAIL'}  ${report.name}\n`);
    if (report.passed) continue;
    const at = report.line === undefined ? report.file : `${report.file}:${report.line}`;
    for (const failure of report.failures) io.stdout.write(`        ${failure}\n`);
    if (report.decision !== undefined) io.stdout.write(`        decision: ${report.decision.explanation}\n`);
    io.stdout.write(`        at ${at}\n`);
  }
  const where = summary.mode === 'offline' ? 'offline' : `on ${summary.mode}`;
  io.stdout.write(`\n${failed === 0 ? 'ok' : 'FAILED'}: ${reports.length} tests, ${passed} passed, ${failed} failed (${where}, tenant ${summary.tenant}: ${summary.rules})\n`);
}

/** Invalid input: on stderr as `file:line: field: message`, or as JSON on stdout with --json. */
export function writeProblems(io: CliIO, problems: readonly PolicyFileProblem[], json: boolean): void {
  if (json) {
    io.stdout.write(`${JSON.stringify({ errors: problems }, null, 2)}\n`);
    return;
  }
  for (const problem of problems) io.stderr.write(`error: ${formatProblem(problem)}\n`);
}

function jsonCase(report: CaseReport) {
  const d = report.decision;
  return {
    file: report.file,
    line: report.line,
    name: report.name,
    passed: report.passed,
    failures: report.failures,
    decision: d === undefined ? undefined : {
      effect: effectName(d.effect),
      reason: reasonName(d.reason),
      permission: d.permission,
      matchedRole: d.matchedRole,
      matchedPolicies: d.matchedPolicies,
      explanation: d.explanation,
      revision: Number(d.revision),
    },
  };
}
