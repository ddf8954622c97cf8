/**
 * Timers of a keyed operator subtask. The timers themselves live in keyed state (so they
 * are checkpointed and follow their key group on rescale); this is the in-memory index
 * ordered by time that decides which fire next.
 */
import type { Json } from "../sink/sink.js";
import type { KeyedStateStore } from "../state/state-backend.js";

export interface Timer {
  readonly timestamp: number;
  readonly keyGroup: number;
  /** Canonical key string. */
  readonly keyString: string;
  /** The key as the user's function sees it. */
  readonly key: Json;
}

function storeKey(timestamp: number, keyString: string): string {
  // Zero-padded so the store's key order is time order.
  return `${String(timestamp).padStart(16, "0")}|${keyString}`;
}

export class TimerQueue {
  private readonly byStoreKey = new Map<string, Timer>();
  private sorted: Timer[] = [];

  constructor(
    private readonly stateName: string,
    private readonly store: KeyedStateStore,
  ) {
    for (const entry of store.entriesOf(stateName)) {
      const [ts, ...rest] = entry.key.split("|");
      this.index({
        timestamp: Number(ts),
        keyGroup: entry.keyGroup,
        keyString: rest.join("|"),
        key: entry.value,
      });
    }
  }

  private index(timer: Timer): void {
    this.byStoreKey.set(storeKey(timer.timestamp, timer.keyString), timer);
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.sorted[mid] as Timer).timestamp <= timer.timestamp) lo = mid + 1;
      else hi = mid;
    }
    this.sorted.splice(lo, 0, timer);
  }

  register(timer: Timer): void {
    const k = storeKey(timer.timestamp, timer.keyString);
    if (this.byStoreKey.has(k)) return;
    this.store.put(this.stateName, timer.keyGroup, k, timer.key);
    this.index(timer);
  }

  delete(timestamp: number, keyGroup: number, keyString: string): void {
    const k = storeKey(timestamp, keyString);
    if (!this.byStoreKey.delete(k)) return;
    this.store.delete(this.stateName, keyGroup, k);
    this.sorted = this.sorted.filter((t) => t.timestamp !== timestamp || t.keyString !== keyString);
  }

  /** Earliest timer's time, if any. */
  peekTime(): number | undefined {
    return this.sorted[0]?.timestamp;
  }

  /** Removes and returns the earliest timer due at `time`, if any. */
  pollDue(time: number): Timer | undefined {
    const first = this.sorted[0];
    if (!first || first.timestamp > time) return undefined;
    this.sorted.shift();
    const k = storeKey(first.timestamp, first.keyString);
    this.byStoreKey.delete(k);
    this.store.delete(this.stateName, first.keyGroup, k);
    return first;
  }
}
