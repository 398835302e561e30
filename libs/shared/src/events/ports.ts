// The event bus as services see it. Values are opaque bytes: turning a domain event into
// bytes (the protobuf envelope) is the envelope module's job, not the bus's.

/** One event to publish. */
export interface EventMessage {
  topic: string;
  /**
   * Partition key, normally the tenant or principal id. Events with the same key land on the
   * same partition and are consumed in publish order.
   */
  key: string;
  value: Uint8Array;
  /** Small string metadata. The bus adds W3C trace context (`traceparent`, `tracestate`). */
  headers?: Record<string, string>;
}

/** An event as a consumer receives it. */
export interface ConsumedEvent {
  topic: string;
  key: string;
  value: Uint8Array;
  headers: Record<string, string>;
  partition: number;
  /** Position in the partition, as a decimal string (Kafka offsets are 64-bit). */
  offset: string;
  /** When the event was appended, in milliseconds since the epoch. */
  timestamp: number;
}

export interface EventProducer {
  /**
   * Resolves once every message is durably stored (Kafka: acknowledged by all in-sync
   * replicas; embedded: written and fsync'd). Rejects if any message could not be stored;
   * the caller may retry, and consumers dedupe.
   */
  publish(messages: EventMessage | readonly EventMessage[]): Promise<void>;
  /** Waits for publishes in flight, then releases the connection. */
  close(): Promise<void>;
}

/** Where a batch came from, and a way to stay in the group during long handling. */
export interface BatchContext {
  groupId: string;
  topic: string;
  partition: number;
  /** Tells Kafka this member is alive; call it inside handlers that run for seconds. */
  heartbeat(): Promise<void>;
}

export interface Subscription {
  /** Members of one group share the partitions; every group sees every event. */
  groupId: string;
  topics: readonly string[];
  /**
   * Where a group with no committed position starts: the oldest retained event (true) or
   * events appended from roughly now on (false, the default).
   */
  fromBeginning?: boolean;
  /**
   * Handles consecutive events of one partition, in offset order. The batch's position is
   * committed only after this resolves; if it rejects, the same events are delivered again
   * after a backoff. By default every event in one call shares one trace context, and the call
   * runs inside it (see README); with `traceContext: 'linked'` see there.
   */
  handleBatch(events: readonly ConsumedEvent[], ctx: BatchContext): Promise<void>;
  /**
   * `per-run` (default): a batch is split into runs of consecutive events from one publisher
   * trace, and each run's call continues that trace. `linked`: the whole batch in one call,
   * inside a new span linked to every publisher's trace; for consumers that aggregate events
   * of many requests (a ledger, an audit store), which would otherwise get one event per call.
   */
  traceContext?: 'per-run' | 'linked';
  /**
   * How many partitions this member handles at once (default 1 on Kafka: one batch at a time).
   * Above 1, `handleBatch` may run concurrently for different partitions, never for one
   * partition, so per-partition order and commit-after-handling still hold; the handler must
   * then be safe to run concurrently with itself. The embedded bus always runs each partition
   * on its own worker, i.e. concurrently, whatever this says.
   */
  partitionsConcurrently?: number;
}

export interface SubscriptionHandle {
  /** Leaves the group after the batch in progress finishes; its position is committed first. */
  stop(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** How long events are kept. Kafka deletes older events; the embedded log keeps everything. */
  retentionMs?: number;
  /**
   * Kafka's `cleanup.policy` (default `delete`). `compact` keeps at least the latest event of
   * every key for good: for topics that carry state (the latest event per key is the whole
   * state), so a new consumer reading from the beginning rebuilds it. Recorded, not enforced,
   * by the embedded log, which keeps every event anyway.
   */
  cleanupPolicy?: 'delete' | 'compact';
}

export interface EventBus {
  /** A new producer; the bus closes any still open when it closes. */
  producer(): EventProducer;
  /** Resolves once the member has joined its group. Fails for a topic that does not exist. */
  subscribe(subscription: Subscription): Promise<SubscriptionHandle>;
  /** Creates the topics that do not exist yet. An existing topic is left exactly as it is. */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /**
   * Resolves when the bus can store events right now (Kafka: a broker answers a metadata
   * request; embedded: the log is open). For health probes: fails fast, never retries.
   */
  ping(): Promise<void>;
  /** Stops every subscription, closes every producer, releases files and connections. */
  close(): Promise<void>;
}
