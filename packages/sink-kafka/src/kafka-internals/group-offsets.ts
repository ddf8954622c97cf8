/**
 * Commits offsets to a consumer group without joining it, as a standalone consumer does
 * (OffsetCommit with generation -1 and no member id): the Kafka source reports its checkpointed
 * positions this way, so lag tools (`kafka-consumer-groups --describe`, exporters) see them.
 * kafkajs's admin `setOffsets` would join the group with a consumer first.
 */
import type { Kafka } from "kafkajs";
import { type KafkajsInternals, type KjsCluster, kafkajsInternals } from "./kafkajs-internals.js";

export interface GroupOffset {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read, as Kafka's committed offsets mean it. */
  readonly offset: bigint;
}

export class GroupOffsetCommitter {
  readonly #internals: KafkajsInternals;
  readonly #cluster: KjsCluster;

  constructor(kafka: Kafka) {
    this.#internals = kafkajsInternals();
    this.#cluster = this.#internals.createCluster(kafka);
  }

  /** Throws kafkajs's error when the coordinator refuses (e.g. the group has members now). */
  async commit(groupId: string, offsets: readonly GroupOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    if (!this.#cluster.isConnected()) await this.#cluster.connect();
    const topics = new Map<string, { partition: number; offset: string }[]>();
    for (const o of offsets) {
      const list = topics.get(o.topic) ?? [];
      list.push({ partition: o.partition, offset: o.offset.toString() });
      topics.set(o.topic, list);
    }
    const coordinator = await this.#cluster.findGroupCoordinator({
      groupId,
      coordinatorType: this.#internals.coordinatorTypes.GROUP,
    });
    await coordinator.offsetCommit({
      groupId,
      groupGenerationId: -1,
      memberId: "",
      retentionTime: -1,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
    });
  }

  async close(): Promise<void> {
    await this.#cluster.disconnect();
  }
}
