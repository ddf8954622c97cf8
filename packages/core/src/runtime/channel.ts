/**
 * A bounded single-producer single-consumer queue between two subtasks. Its capacity is
 * the backpressure: `push` answers a promise only when the queue is full, so a slow sink
 * slows its source instead of growing memory. The fast path allocates no promise.
 */
import { BerthError } from "../errors.js";
import type { StreamElement } from "./stream-element.js";

/** A push into a channel the job already tore down (the job is failing over or ending). */
export class ChannelClosedError extends BerthError {
  static override readonly marker: string = "berth.core/ChannelClosedError";

  constructor() {
    super(
      "CHANNEL_CLOSED",
      "channel closed: the job is being torn down; nothing more can be sent downstream",
    );
  }
}

export class Channel {
  private readonly items: StreamElement[] = [];
  private head = 0;
  private spaceWaiter: (() => void) | undefined;
  private closed = false;
  /** Called when an element arrives, so the consumer waiting on any of its inputs wakes. */
  onData: (() => void) | undefined;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(element: StreamElement): void | Promise<void> {
    if (this.closed) throw new ChannelClosedError();
    this.items.push(element);
    this.onData?.();
    if (this.size < this.capacity) return;
    return new Promise<void>((resolve) => {
      this.spaceWaiter = resolve;
    });
  }

  peek(): StreamElement | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  poll(): StreamElement | undefined {
    if (this.head >= this.items.length) return undefined;
    const element = this.items[this.head];
    this.items[this.head] = undefined as unknown as StreamElement;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    if (this.spaceWaiter && this.size < this.capacity) {
      const waiter = this.spaceWaiter;
      this.spaceWaiter = undefined;
      waiter();
    }
    return element;
  }

  /** Releases a blocked producer for good; used when the job is torn down. */
  close(): void {
    this.closed = true;
    this.items.length = 0;
    this.head = 0;
    const waiter = this.spaceWaiter;
    this.spaceWaiter = undefined;
    waiter?.();
  }
}
