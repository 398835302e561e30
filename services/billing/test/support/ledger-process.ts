// A billing ledger consumer as its own process, for the fault test (which SIGKILLs it) and
// the exactness script. Configured by environment; prints "ready" once it joined its group and,
// with LEDGER_REPORT_PROGRESS=1, "booked <n>" (events booked by this process so far) after
// every committed transaction, so a test can kill it at a known point rather than after a time.
import { startStandaloneLedger } from '../../src/usage/standalone-ledger.js';

const env = process.env;
let booked = 0;
const report = env['LEDGER_REPORT_PROGRESS'] === '1';
const ledger = await startStandaloneLedger({
  ...(env['LEDGER_DATABASE_URL'] ? { databaseUrl: env['LEDGER_DATABASE_URL'] } : {}),
  ...(env['LEDGER_KAFKA_BROKERS'] ? { kafkaBrokers: env['LEDGER_KAFKA_BROKERS'].split(',') } : {}),
  dataDir: env['LEDGER_DATA_DIR']!,
  topic: env['LEDGER_TOPIC']!,
  groupId: env['LEDGER_GROUP']!,
  batchSize: Number(env['LEDGER_BATCH_SIZE'] ?? '500'),
  ...(report ? { onBooked: (count: number) => {
    booked += count;
    process.stdout.write(`booked ${booked}\n`);
  } } : {}),
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void ledger.stop().then(() => process.exit(0));
});
