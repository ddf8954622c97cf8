/**
 * Partition discovery for one Kafka source: every `intervalMs` the topics' partitions are listed
 * again, and each partition no reader holds becomes a new split, read from its earliest offset
 * by the reader of subtask `partition % parallelism`. Once a reader has it, it is in that
 * reader's checkpointed splits like the others.
 *
 * Which partitions are held is the union of every reader's splits, so one discovery serves all
 * readers of the source: the runtime runs every subtask of a job on one thread, and a source's
 * `createReader` is called once per subtask of the current attempt. A partition added after the
 * last completed checkpoint is simply found again after a restore (that checkpoint does not hold
 * it), and read from its earliest offset again: nothing of it was checkpointed as read.
 */
import type { SinkLog } from "@berth/core/connector";
import type { Kafka } from "kafkajs";
import { messageOf } from "../errors.js";
import type { KafkaSplit } from "./kafka-split.js";

export interface DiscoveringReader {
  readonly subtask: number;
  holds(topic: string, partition: number): boolean;
  addSplit(split: KafkaSplit): void;
}

export class PartitionDiscovery {
  private readonly readers = new Map<number, DiscoveringReader>();
  private parallelism = 0;
  private lastRound = Date.now();
  private running = false;

  constructor(
    private readonly kafka: () => Kafka,
    private readonly topics: readonly string[],
    private readonly intervalMs: number,
  ) {}

  register(reader: DiscoveringReader, parallelism: number): void {
    this.readers.set(reader.subtask, reader);
    this.parallelism = parallelism;
  }

  unregister(reader: DiscoveringReader): void {
    if (this.readers.get(reader.subtask) === reader) this.readers.delete(reader.subtask);
  }

  /**
   * Called at every poll of every reader: starts a round in the background once the interval has
   * passed and every reader of the attempt exists. A failed round is logged and tried again.
   */
  tick(log: SinkLog): void {
    if (this.running || Date.now() - this.lastRound < this.intervalMs) return;
    if (this.parallelism === 0 || this.readers.size !== this.parallelism) return;
    this.running = true;
    this.round(log)
      .catch((error: unknown) =>
        log.warn(
          `kafka source: listing the partitions of ${this.topics.join(", ")} failed (${messageOf(error)}); trying again in ${this.intervalMs} ms`,
        ),
      )
      .finally(() => {
        this.running = false;
        this.lastRound = Date.now();
      });
  }

  private async round(log: SinkLog): Promise<void> {
    const admin = this.kafka().admin();
    try {
      await admin.connect();
      for (const topic of this.topics) {
        const offsets = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition);
        for (const { partition, low } of offsets) {
          const held = [...this.readers.values()].some((r) => r.holds(topic, partition));
          const reader = this.readers.get(partition % this.parallelism);
          if (held || !reader) continue;
          reader.addSplit({ topic, partition, offset: low });
          log.info(
            `kafka source: partition ${topic}-${partition} was added; subtask ${reader.subtask} reads it from its earliest offset ${low}`,
          );
        }
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
