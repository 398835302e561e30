-- Rejected usage is also republished on aegis.usage.v1.dlq (docs/billing.md, "Rejected usage").
-- usage_rejected is its outbox: the row is written in the booking transaction with the message's
-- key and headers, and dead_lettered_at is set once the dead-letter topic holds the message.
ALTER TABLE usage_rejected
  ADD COLUMN message_key text NOT NULL DEFAULT '',
  ADD COLUMN headers jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN dead_lettered_at timestamptz;
CREATE INDEX usage_rejected_pending ON usage_rejected (rejected_at) WHERE dead_lettered_at IS NULL;
