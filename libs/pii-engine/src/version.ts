// Which engine produced a scan. The SDK scans locally only when pii reports the same version
// (GetDlpSnapshot.engine_version): two builds that could find different things must not
// stand in for each other. Bump it with any change that can alter findings, rules or
// replacements (test/unit/version.test.ts keeps it equal to package.json's version).
export const PII_ENGINE_VERSION = '0.1.0';
