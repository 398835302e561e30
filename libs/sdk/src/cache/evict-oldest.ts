/** Drops a Map's oldest entries (insertion order) until it holds at most `max`: the SDK's caches' LRU bound. */
export function evictOldest<V>(map: Map<string, V>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) return;
    map.delete(oldest);
  }
}
