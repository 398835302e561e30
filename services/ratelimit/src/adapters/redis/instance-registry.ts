import type { RedisClient } from '@aegis/shared';

// Live instances of the service, counted through Redis while it is up: each instance
// refreshes its entry in a sorted set scored by time; entries older than three periods are
// dropped. The last count seen is what a degraded instance divides its limits by, so the
// instances together never exceed a limit by more than their share each.

const PERIOD_MS = 5_000;
const KEY = 'instances';

export class InstanceRegistry {
  #count = 1;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly client: RedisClient, private readonly instanceId: string) {}

  /** Last count seen (≥ 1). */
  get count(): number {
    return this.#count;
  }

  start(): void {
    void this.beat();
    this.#timer = setInterval(() => void this.beat(), PERIOD_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.client.zrem(KEY, this.instanceId).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    try {
      // Redis's clock, like every other time in this service: instance clocks may disagree.
      const [seconds] = (await this.client.time()) as unknown as [string | number];
      const nowMs = Number(seconds) * 1000;
      const results = await this.client.multi()
        .zadd(KEY, nowMs, this.instanceId)
        .zremrangebyscore(KEY, '-inf', nowMs - 3 * PERIOD_MS)
        .zcard(KEY)
        .exec();
      const count = Number(results?.[2]?.[1] ?? 1);
      if (count >= 1) this.#count = count;
    } catch {
      // Redis down: keep the last count, which is what the fallback needs.
    }
  }
}
