// The action registry in docs/events.md is what subscribers build on: it must list exactly the
// actions the policy service emits.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CHANGE_ACTIONS, DECISION_ACTION } from '../../../src/audit/index.js';

test('docs/events.md lists exactly the audit actions the policy service emits', async () => {
  const doc = await readFile(fileURLToPath(new URL('../../../../../docs/events.md', import.meta.url)), 'utf8');
  const row = doc.split('\n').find((line) => line.startsWith('| policy |'))!;
  const documented = [...row.matchAll(/`([a-z_]+\.[a-z_]+)`/g)].map((m) => m[1]!);
  expect(documented.sort()).toEqual([DECISION_ACTION, ...CHANGE_ACTIONS].sort());
});
