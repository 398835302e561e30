// One jest set-up for the whole repository: native ESM (jose, protobuf-es and Connect are ESM),
// TypeScript transformed by swc (type-checking is `npm run typecheck`, not jest's job).
const swc = ['@swc/jest', {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'es6' },
  sourceMaps: 'inline',
}];

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  // Sources import './x.js' (NodeNext style); jest must find './x.ts'.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

export default {
  testTimeout: 60_000,
  // A fresh worker process for every test file: an integration file starts whole services, and
  // anything one leaves behind (a consumer, a timer, a start-up that outlived its hook's
  // timeout) must not slow every later file down, as it did in one shared process. `npm test`
  // runs one worker at a time; jest uses workers (not the main process) whenever this is set.
  workerIdleMemoryLimit: '1MB',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{libs,services,tools}/*/test/unit/**/*.test.ts', '<rootDir>/examples/*/test/unit/**/*.test.ts', '<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/{libs,services,tools}/*/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
