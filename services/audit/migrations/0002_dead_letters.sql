-- parked_messages becomes the outbox of the dead-letter topic (<topic>.dlq): a parked message is
-- republished there, with its original headers, after the transaction that parked it.
ALTER TABLE parked_messages ADD COLUMN headers jsonb NOT NULL DEFAULT '{}';
ALTER TABLE parked_messages ADD COLUMN dead_lettered_at timestamptz;
CREATE INDEX parked_messages_pending ON parked_messages (parked_at) WHERE dead_lettered_at IS NULL;
