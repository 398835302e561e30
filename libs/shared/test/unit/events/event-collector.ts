// Test helpers shared by the embedded unit tests and the contract suite.

import type { BatchContext, ConsumedEvent } from '../../../src/events/ports.js';

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (value: Uint8Array): string => new TextDecoder().decode(value);

/** Polls `condition` until it holds; fails naming `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A handleBatch that records what it was given. */
export class EventCollector {
  readonly events: ConsumedEvent[] = [];
  readonly batches: Array<{ events: readonly ConsumedEvent[]; ctx: BatchContext }> = [];

  readonly handleBatch = async (events: readonly ConsumedEvent[], ctx: BatchContext): Promise<void> => {
    this.batches.push({ events, ctx });
    this.events.push(...events);
  };

  get values(): string[] {
    return this.events.map((e) => text(e.value));
  }

  async waitFor(count: number, timeoutMs?: number): Promise<string[]> {
    await waitUntil(() => this.events.length >= count, `${count} events (have ${this.events.length})`, timeoutMs);
    return this.values;
  }
}
