import type { Duration } from '@bufbuild/protobuf/wkt';

/** Per-call options the guard passes to every RPC: the request's cancel signal. */
export type CallOptions = { signal?: AbortSignal };

export function msOf(d: Duration): number {
  return Number(d.seconds) * 1000 + Math.ceil(d.nanos / 1e6);
}

export function toBigInt(n: number | bigint | undefined, fallback = 0n): bigint {
  if (n === undefined) return fallback;
  if (typeof n === 'bigint') return n;
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`token counts must be non-negative integers, got ${n}`);
  return BigInt(n);
}
