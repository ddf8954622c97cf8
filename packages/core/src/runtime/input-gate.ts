/**
 * A subtask's inputs: one channel per upstream subtask. It aligns barriers (a channel that
 * delivered barrier n is not read again until every channel delivered it, as in Flink's
 * aligned checkpoints) and combines watermarks (the minimum over channels that are not
 * idle). Alignment is per checkpoint id: when a checkpoint is abandoned (timed out) some
 * inputs may never deliver its barrier, so a newer barrier supersedes it and a stale one
 * is dropped — also when the coordinator says so first ({@link InputGate.abandon}): a stop
 * barrier that arrives after its savepoint timed out would otherwise halt the subtask.
 */

import type { Channel } from "./channel.js";
import type { BarrierOptions, StreamElement } from "./stream-element.js";

export type GateEvent =
  | { readonly kind: "record"; readonly value: unknown; readonly timestamp: number | undefined }
  | { readonly kind: "watermark"; readonly timestamp: number }
  | { readonly kind: "barrier"; readonly barrier: BarrierOptions };

export class InputGate {
  private readonly blocked: boolean[];
  private readonly watermarks: number[];
  private readonly idle: boolean[];
  private aligned = 0;
  /** Checkpoint whose barrier is being aligned, if any. */
  private aligning: number | undefined;
  /** Newest checkpoint whose barrier this gate passed on. */
  private lastAligned = Number.NEGATIVE_INFINITY;
  private combinedWatermark = Number.MIN_SAFE_INTEGER;
  private cursor = 0;

  constructor(private readonly channels: Channel[]) {
    this.blocked = channels.map(() => false);
    this.watermarks = channels.map(() => Number.MIN_SAFE_INTEGER);
    this.idle = channels.map(() => false);
  }

  set onData(listener: () => void) {
    for (const channel of this.channels) channel.onData = listener;
  }

  /** The next event, or undefined when no unblocked channel has data. */
  next(): GateEvent | undefined {
    const n = this.channels.length;
    for (let tried = 0; tried < n; tried++) {
      const i = this.cursor;
      this.cursor = (this.cursor + 1) % n;
      if (this.blocked[i]) continue;
      const element = (this.channels[i] as Channel).poll();
      if (!element) continue;
      const event = this.handle(i, element);
      if (event) return event;
      tried = -1; // the element was consumed internally; look again from the next channel
    }
    return undefined;
  }

  private handle(channel: number, element: StreamElement): GateEvent | undefined {
    switch (element.kind) {
      case "record":
        return element;
      case "watermark":
        this.watermarks[channel] = element.timestamp;
        return this.watermarkEvent();
      case "idle":
        this.idle[channel] = element.idle;
        return this.watermarkEvent();
      case "barrier": {
        const id = element.barrier.checkpointId;
        // A barrier of a checkpoint older than the one aligning (or already passed on) belongs
        // to an abandoned checkpoint: drop it.
        if (id <= this.lastAligned || (this.aligning !== undefined && id < this.aligning)) return undefined;
        if (this.aligning !== undefined && id > this.aligning) {
          // The checkpoint being aligned was abandoned before every input sent its barrier:
          // records behind the inputs blocked for it precede this barrier, so free them.
          this.blocked.fill(false);
          this.aligned = 0;
        }
        this.aligning = id;
        this.blocked[channel] = true;
        this.aligned++;
        if (this.aligned < this.channels.length) return undefined;
        this.aligned = 0;
        this.aligning = undefined;
        this.lastAligned = id;
        this.blocked.fill(false);
        return element;
      }
    }
  }

  /**
   * Checkpoint `id` was abandoned: its barrier, wherever it still is upstream, is dropped when
   * it arrives, and inputs blocked aligning it are read again.
   */
  abandon(id: number): void {
    if (this.aligning !== undefined && this.aligning <= id) {
      this.blocked.fill(false);
      this.aligned = 0;
      this.aligning = undefined;
    }
    this.lastAligned = Math.max(this.lastAligned, id);
  }

  private watermarkEvent(): GateEvent | undefined {
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.channels.length; i++) {
      if (!this.idle[i]) min = Math.min(min, this.watermarks[i] as number);
    }
    if (min === Number.POSITIVE_INFINITY || min <= this.combinedWatermark) return undefined;
    this.combinedWatermark = min;
    return { kind: "watermark", timestamp: min };
  }
}
