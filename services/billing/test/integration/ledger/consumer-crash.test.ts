// Fault test: the billing consumer runs as its own process and is killed with SIGKILL twice
// in mid-stream (no clean shutdown, offsets of the batch in flight never committed), then
// restarted; the ledger still equals the BigInt reference exactly: nothing lost, nothing
// counted twice. On Kafka events keep arriving while it is down.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ledgerTotals, type Reference } from '../../support/usage-workload.js';
import { ledgerBackend, publishWorkload, seedPrices, type LedgerBackend } from './ledger-harness.js';

const EVENTS = Number(process.env['BILLING_FAULT_EVENTS'] ?? 30_000);
const PROCESS = fileURLToPath(new URL('../../support/ledger-process.ts', import.meta.url));

function startConsumer(backend: LedgerBackend): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', PROCESS], {
    env: {
      ...process.env,
      LEDGER_DATA_DIR: backend.dataDir, LEDGER_TOPIC: backend.topic, LEDGER_GROUP: `${backend.topic}-ledger`, LEDGER_BATCH_SIZE: '200', LEDGER_REPORT_PROGRESS: '1',
      ...(backend.databaseUrl !== undefined ? { LEDGER_DATABASE_URL: backend.databaseUrl } : {}),
      ...(backend.kafkaBrokers !== undefined ? { LEDGER_KAFKA_BROKERS: backend.kafkaBrokers.join(',') } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`ledger process exited early (${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        child.removeAllListeners('exit');
        resolve(child);
      }
    });
  });
}

/** Resolves once `child` reports having booked at least `atLeast` events (its own count). */
function bookedAtLeast(child: ChildProcess, atLeast: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const counts = [...chunk.toString().matchAll(/booked (\d+)/g)].map((m) => Number(m[1]));
      if (counts.some((n) => n >= atLeast)) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`ledger process exited (${code}) before booking ${atLeast} events`)));
  });
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe.each(['real', 'embedded'] as const)('ledger consumer killed mid-stream (%s)', (kind) => {
  test(`${EVENTS} events, two SIGKILLs, restart: totals still exact`, async () => {
    const backend = await ledgerBackend(kind);
    const tenantId = `crash-${randomBytes(4).toString('hex')}`;
    const children: ChildProcess[] = [];
    try {
      // Set up, then (embedded: one process at a time) hand the stores to the consumer process.
      let db = await backend.openDb();
      await seedPrices(db, tenantId);
      const bus = await backend.openBus();
      await bus.ensureTopics([{ topic: backend.topic, partitions: 3 }]);
      let reference: Reference;
      const progress = async (atLeast: number) => {
        const deadline = Date.now() + 5 * 60_000;
        for (;;) {
          const probe = kind === 'real' ? db : undefined;
          if (probe !== undefined && (await ledgerTotals(probe, tenantId)).events >= BigInt(atLeast)) return;
          if (probe === undefined) return;
          if (Date.now() > deadline) throw new Error(`ledger did not reach ${atLeast}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      if (kind === 'real') {
        // Publish the first half, then keep publishing while the consumer is killed and restarted.
        let child = await startConsumer(backend);
        children.push(child);
        let killed = 0;
        reference = await publishWorkload(bus, EVENTS, tenantId, backend.topic, 7, async (published) => {
          if (killed < 2 && published >= Math.floor((EVENTS * (killed + 1)) / 3)) {
            await progress(Math.floor(published / 4));
            await kill(child);
            killed++;
            child = await startConsumer(backend);
            children.push(child);
          }
        });
        expect(killed).toBe(2);
      } else {
        reference = await publishWorkload(bus, EVENTS, tenantId, backend.topic, 7);
        await bus.close();
        await db.close();
        // PGlite and the embedded log belong to one process at a time: kill each of the first
        // two runs once it has booked a fifth of the stream (it is then mid-batch or between
        // batches, never at the end), then let the third run finish.
        for (let run = 0; run < 2; run += 1) {
          const child = await startConsumer(backend);
          children.push(child);
          await bookedAtLeast(child, Math.floor(EVENTS / 5));
          await kill(child);
        }
        db = await backend.openDb();
        const midway = await ledgerTotals(db, tenantId);
        // Killed mid-stream: some but not all events were booked.
        expect(midway.events > 0n && midway.events < BigInt(EVENTS)).toBe(true);
        await db.close();
        children.push(await startConsumer(backend));
      }
      if (kind === 'real') await bus.close();
      // Wait for the last consumer to finish (embedded: stop it first, then read).
      const last = children[children.length - 1]!;
      if (kind === 'real') {
        await progress(EVENTS);
        await kill(last);
      } else {
        await waitForEmbedded(backend, last, tenantId, EVENTS);
        db = await backend.openDb();
      }
      const totals = await ledgerTotals(db, tenantId);
      await db.close();
      expect(totals.rejected).toBe(0n);
      expect(totals.events).toBe(BigInt(reference.events));
      expect(totals.costNanos).toBe(reference.costNanos);
      expect(totals.rollupCostNanos).toBe(reference.costNanos);
      expect(totals.rollupRequests).toBe(BigInt(reference.events));
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await backend.tearDown();
    }
  }, 10 * 60_000);
});

/** Embedded: the consumer process owns PGlite, so stop it (SIGTERM, clean) at intervals and look. */
async function waitForEmbedded(backend: LedgerBackend, child: ChildProcess, tenantId: string, events: number): Promise<void> {
  let current = child;
  const deadline = Date.now() + 6 * 60_000;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGTERM');
    await exited;
    const db = await backend.openDb();
    const totals = await ledgerTotals(db, tenantId);
    await db.close();
    if (totals.events >= BigInt(events)) return;
    if (Date.now() > deadline) throw new Error(`embedded ledger stuck at ${totals.events} of ${events}`);
    current = await startConsumer(backend);
  }
}
