import type { HandlerContext } from '@connectrpc/connect';
import { credentialSource, resourceExhausted, type KeyValueStore } from '@aegis/shared';

/**
 * Failed RefreshToken calls counted per source in the shared key-value store, so every
 * instance sees the same count. A source over the limit is refused (ResourceExhausted with
 * retry-after) until its window ends, before any database work.
 */
export class RefreshThrottle {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  async check(source: string): Promise<void> {
    const failures = Number((await this.kv.get(this.#key(source))) ?? 0);
    if (failures >= this.limit) {
      throw resourceExhausted('too many failed refresh attempts from this source; try again later', { retryAfterMs: this.windowMs });
    }
  }

  async recordFailure(source: string): Promise<void> {
    await this.kv.increment(this.#key(source), this.windowMs);
  }

  #key(source: string): string {
    return `refresh-failures:${source}`;
  }
}

/**
 * Where a call comes from, for throttling: the platform's one rule (`credentialSource`: the
 * first `x-forwarded-for` hop set by the gateway). Without it every direct caller shares one
 * bucket, because Connect handlers do not see the socket's address.
 */
export function requestSource(ctx: HandlerContext): string {
  const source = credentialSource(ctx.requestHeader);
  return source === '' ? 'direct' : source;
}
