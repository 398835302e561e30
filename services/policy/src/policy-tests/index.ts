// Policy tests without the server: the runner, the YAML test-file format and expectations.
// This is what `@aegis/policy-service/policy-tests` exports (the `aegis` CLI runs tests
// offline with it); it depends on the engine and protobuf only. The RunPolicyTests handler
// (module.ts) is the service's and is not exported here.
export { MAX_CASES, validateCases } from './case-validation.js';
export { compileRulesUnderTest, NO_STORED_RULES, type DraftRules, type RulesUnderTest, type StoredRules } from './rules-under-test.js';
export { runPolicyTests, type PolicyTestOutcome, type PolicyTestRun } from './run-policy-tests.js';
export { effectName, reasonName, REASON_NAMES, unmetExpectations, type CaseExpectation, type ReasonName } from './expectations.js';
export { parsePolicyTestFile, type PolicyTestFile } from './yaml-format.js';
export { assembleSuite, type PolicyTestSuite, type SuiteCase, type SuiteOptions } from './test-suite.js';
export { displayPath, formatProblem, type PolicyFileProblem, type YamlPath } from './yaml-source.js';
export type { FieldViolation } from '../domain/index.js';
