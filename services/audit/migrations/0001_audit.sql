-- The audit sink's copy of aegis.audit.v1: every AuditEvent and AuditCheckpoint, once.
CREATE TABLE audit_records (
  -- Stored order. Writers serialise on an advisory lock, so positions commit in increasing
  -- order and a tail that has read up to N never misses a later commit below N.
  position bigserial PRIMARY KEY,
  -- Envelope id: the deduplication key (redeliveries change nothing).
  event_id text NOT NULL UNIQUE,
  tenant_id text NOT NULL,
  -- Event.time in microseconds since the epoch (query order and intervals).
  event_time_us int8 NOT NULL,
  kind text NOT NULL CHECK (kind IN ('event', 'checkpoint')),
  source text NOT NULL,
  action text NOT NULL,
  outcome smallint NOT NULL,
  actor_id text NOT NULL,
  actor_user_id text NOT NULL,
  -- AuditEvent.user.user_id (the user the event is about).
  subject_user_id text NOT NULL,
  -- Effective classification (unspecified stored as INTERNAL, 2); 0 for checkpoints.
  classification smallint NOT NULL,
  -- The chain: AuditIntegrity.producer_id / AuditCheckpoint.producer_id ('' when absent).
  producer_id text NOT NULL,
  sequence int8 NOT NULL,
  -- The Event exactly as it was on the topic (binary protobuf).
  body bytea NOT NULL,
  stored_at timestamptz NOT NULL,
  -- Decided at write time from the classification (see docs/audit.md, Retention).
  expires_at timestamptz NOT NULL
);

CREATE INDEX audit_records_tenant_time ON audit_records (tenant_id, event_time_us, position);
CREATE INDEX audit_records_tenant_actor_user ON audit_records (tenant_id, actor_user_id, event_time_us) WHERE actor_user_id <> '';
CREATE INDEX audit_records_tenant_subject_user ON audit_records (tenant_id, subject_user_id, event_time_us) WHERE subject_user_id <> '';
CREATE INDEX audit_records_tenant_action ON audit_records (tenant_id, action, event_time_us);
CREATE INDEX audit_records_tenant_chain ON audit_records (tenant_id, producer_id, position);
CREATE INDEX audit_records_expiry ON audit_records (expires_at);

-- Messages of the topic that are not an audit record (undecodable, or another payload):
-- kept with the reason instead of blocking their partition or vanishing.
CREATE TABLE parked_messages (
  topic text NOT NULL,
  partition integer NOT NULL,
  "offset" text NOT NULL,
  message_key text NOT NULL,
  reason text NOT NULL,
  payload bytea NOT NULL,
  parked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset")
);
