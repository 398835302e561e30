// kafkajs logs through the service's pino logger, at kafkajs's own levels.

import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';

// kafkajs puts raw protocol payloads in these fields at debug level (and whole fetched
// batches when KAFKAJS_DEBUG_PROTOCOL_BUFFERS is set): they may hold event values, which
// never reach a log line.
const PAYLOAD_FIELDS = new Set(['data', 'payload', 'messages', 'value']);

// kafkajs warns about this whenever an idempotent producer has bounded retries. We bound them
// on purpose (a publish must fail in bounded time) and replace the producer after any failed
// publish, which removes the sequence-number hazard the warning is about (kafka-producer.ts).
const BOUNDED_RETRIES_WARNING = 'Limiting retries for the idempotent producer';

/** The kafkajs level matching the logger's, so kafkajs does not build lines pino would drop. */
export function kafkaLogLevelFor(logger: Logger): logLevel {
  const level = logger.levelVal;
  if (level <= 20) return logLevel.DEBUG;
  if (level <= 30) return logLevel.INFO;
  if (level <= 40) return logLevel.WARN;
  if (level <= 60) return logLevel.ERROR;
  return logLevel.NOTHING;
}

export function pinoLogCreator(logger: Logger): logCreator {
  const log = logger.child({}, { msgPrefix: 'kafkajs: ' });
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = entry;
      const fields: Record<string, unknown> = { kafkajs: namespace };
      for (const [name, value] of Object.entries(extra)) {
        if (!PAYLOAD_FIELDS.has(name)) fields[name] = value;
      }
      switch (level) {
        case logLevel.ERROR:
          log.error(fields, message);
          break;
        case logLevel.WARN:
          if (message.startsWith(BOUNDED_RETRIES_WARNING)) log.debug(fields, message);
          else log.warn(fields, message);
          break;
        case logLevel.INFO:
          log.info(fields, message);
          break;
        default:
          log.debug(fields, message);
      }
    };
}
