// What the shared access-token verifier costs over raw jose: createAccessTokenVerifier (local
// key set, every RFC 8725 check, claims -> Principal) against jose.jwtVerify with the same key
// and the same token, interleaved, in process. Goal: overhead <= 10%.
// Run: npx tsx bench/jwt-verify.ts [--rounds=8 --round-ms=800 --warmup-ms=1000 --concurrency=1 --only=EdDSA]
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createAccessTokenVerifier } from '@aegis/shared';
import {
  compareInterleaved,
  type Contender,
  figuresTable,
  type LabelledComparison,
  ownCpuUsageUs,
  ratioTable,
  readSettings,
  writeResult,
} from './lib/index.js';

const settings = readSettings({
  rounds: 8,
  roundMs: 800,
  warmupMs: 1_000,
  /** Verifications in flight. 1 measures one verification's cost; more lets WebCrypto use its thread pool. */
  concurrency: 1,
  /** Run only the comparisons whose id contains this (e.g. `EdDSA`, `jwks`). */
  only: '',
});
if (!Number.isInteger(settings.rounds) || !Number.isInteger(settings.concurrency)) throw new Error('--rounds and --concurrency must be integers');

const ISSUER = 'https://auth.aegis.bench';
const AUDIENCE = 'aegis';
const GOAL_OVERHEAD = 0.10;

type Algorithm = 'EdDSA' | 'ES256' | 'RS256';

/** A key pair, its JWKS entry, and a token shaped like the ones auth issues (same claims, same header). */
async function fixture(alg: Algorithm): Promise<{ token: string; publicKey: CryptoKey; jwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const kid = `bench-${alg}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    tenant: 'acme',
    role: 'developer',
    roles: ['developer'],
    permissions: ['agent:create', 'agent:execute', 'agent:read', 'agent:update', 'memory:read', 'memory:write', 'tool:execute', 'tool:read', 'workflow:create', 'workflow:execute', 'workflow:read', 'workflow:update'],
    sid: '0190e7a4-0000-7000-8000-000000000001',
  })
    .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('0190e7a0-1111-7abc-8def-000000000001')
    .setJti('8e3c1c0e-6f7a-4a43-9f0e-2b6f8f3f9a10')
    .setIssuedAt(now)
    .setNotBefore(now)
    // Outlives any run: an expiring token would turn the last rounds into failures.
    .setExpirationTime(now + 24 * 3600)
    .sign(privateKey);
  return { token, publicKey, jwk };
}

async function expectSubject(result: Promise<{ payload?: { sub?: string }; userId?: string }>): Promise<void> {
  const value = await result;
  if ((value.payload?.sub ?? value.userId) === undefined) throw new Error('verification returned no subject');
}

const plan: Array<{ id: string; label: string; baseline: Contender; candidate: Contender }> = [];
for (const alg of ['EdDSA', 'ES256', 'RS256'] as const) {
  const { token, publicKey, jwk } = await fixture(alg);
  const verifier = createAccessTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, keys: { keys: [jwk] } });
  const candidate: Contender = { name: `createAccessTokenVerifier ${alg}`, call: () => expectSubject(verifier(token)) };
  // The same checks jose itself can make, so the comparison is the wrapper's cost, not skipped work.
  const joseOptions = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], typ: 'at+jwt', requiredClaims: ['exp', 'iat', 'nbf', 'jti', 'sub'] };
  plan.push({
    id: `verifier-vs-jose-key-${alg}`,
    label: `verifier vs jose.jwtVerify(key), ${alg}`,
    baseline: { name: `jose.jwtVerify key ${alg}`, call: () => expectSubject(jwtVerify(token, publicKey, joseOptions)) },
    candidate,
  });
  // The same kid lookup in the same key set: what is left is the wrapper's own work.
  const localSet = createLocalJWKSet({ keys: [jwk] });
  plan.push({
    id: `verifier-vs-jose-jwks-${alg}`,
    label: `verifier vs jose.jwtVerify(local JWKS), ${alg}`,
    baseline: { name: `jose.jwtVerify local JWKS ${alg}`, call: () => expectSubject(jwtVerify(token, localSet, joseOptions)) },
    candidate,
  });
}

const selected = plan.filter((step) => step.id.includes(settings.only));
if (selected.length === 0) throw new Error(`--only=${settings.only} matches none of ${plan.map((s) => s.id).join(', ')}`);
const perComparisonS = (2 * settings.warmupMs + 2 * settings.rounds * settings.roundMs) / 1000;
console.log(`jwt-verify: ${selected.length} comparisons × ~${perComparisonS.toFixed(0)} s, concurrency ${settings.concurrency}, in process`);

const comparisons: Array<LabelledComparison & { id: string; overhead: { cpuPerCall: number; throughput: number; withinGoal: boolean } }> = [];
for (const step of selected) {
  // In process, "server" CPU is this process's: the verifier's CPU per call, the fairest single figure here.
  const comparison = await compareInterleaved(step.baseline, step.candidate, { ...settings, serverCpuUs: () => Promise.resolve(ownCpuUsageUs()) });
  const cpuRatio = comparison.ratio.serverCpuPerCall?.median ?? Number.NaN;
  const overhead = {
    cpuPerCall: cpuRatio - 1,
    throughput: 1 / comparison.ratio.throughput.median - 1,
    withinGoal: cpuRatio - 1 <= GOAL_OVERHEAD,
  };
  console.log(`  ${step.label}: overhead ${(overhead.cpuPerCall * 100).toFixed(1)}% CPU/call, ${(overhead.throughput * 100).toFixed(1)}% time/call${overhead.withinGoal ? '' : '  (above the 10% goal)'}`);
  comparisons.push({ id: step.id, label: step.label, comparison, overhead });
}

console.log(`\n${figuresTable(comparisons)}\n\n${ratioTable(comparisons)}\n`);
const path = writeResult('jwt-verify', { settings, goalOverhead: GOAL_OVERHEAD, comparisons });
console.log(`written to ${path}`);
