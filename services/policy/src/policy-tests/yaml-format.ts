import type { Policy } from '@aegis/proto/aegis/policy/v1/policy_pb.js';
import type { Role } from '@aegis/proto/aegis/policy/v1/role_pb.js';
import { readCases, readNow, type SourcedCase } from './yaml-cases.js';
import { readPolicies, readRoles, type SourcedDraft } from './yaml-rules.js';
import { YamlSource, type PolicyFileProblem } from './yaml-source.js';
import { clockFor, readBusinessHours } from './yaml-time.js';
import { fieldsOf, readString } from './yaml-values.js';

// The policy test file format (docs/policy-tests.md): one YAML document with
//   tenant:    the tenant the tests are written for (optional)
//   now:       an instant pinning time.* for every test (optional)
//   business_hours: the working week `now` is read in (optional)
//   roles:     draft roles, listed or keyed by name
//   policies:  draft policies, listed or keyed by name
//   tests:     the cases
// Any of roles, policies and tests may be left out: a directory of files is read as one
// bundle, so rules and tests can live in separate files.

const FILE_FIELDS = ['tenant', 'now', 'business_hours', 'roles', 'policies', 'tests'];

export interface PolicyTestFile {
  readonly file: string;
  readonly tenant?: string;
  readonly roles: readonly SourcedDraft<Role>[];
  readonly policies: readonly SourcedDraft<Policy>[];
  readonly tests: readonly SourcedCase[];
  /** Empty when the file can be run. */
  readonly problems: readonly PolicyFileProblem[];
  /** The parsed source, to place violations found later (by the run or the server). */
  readonly source: YamlSource;
}

/** Parses one file (`file` is the name used in problems). Never throws for bad input: see `problems`. */
export function parsePolicyTestFile(file: string, text: string): PolicyTestFile {
  const src = new YamlSource(file, text);
  const empty = { file, roles: [], policies: [], tests: [], problems: src.problems, source: src };
  if (src.problems.length > 0) return empty;
  if (src.value === null || src.value === undefined) {
    src.problem([], `the file is empty: expected ${FILE_FIELDS.join(', ')}`);
    return empty;
  }
  const fields = fieldsOf(src, src.value, [], FILE_FIELDS);
  if (fields === undefined) return empty;
  const tenant = readString(src, fields.get('tenant'), { required: true });
  const clock = clockFor(readBusinessHours(src, fields.get('business_hours')));
  const now = readNow(src, fields.get('now'), clock);
  const roles = readRoles(src, fields.get('roles'));
  const policies = readPolicies(src, fields.get('policies'));
  const tests = readCases(src, fields.get('tests'), { clock, now });
  // In file order, as an author fixes them (the sort is stable within a line).
  const problems = [...src.problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { file, ...(tenant !== undefined ? { tenant } : {}), roles, policies, tests, problems, source: src };
}
