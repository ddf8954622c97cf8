/**
 * A split of the Kafka source: one topic partition and the next offset to read, plus — in
 * bounded mode — the offset where it ends (the partition's last stable offset when the split
 * was created). Kept in checkpoint state as JSON, offsets as decimal strings (64-bit).
 */
import type { Json } from "@berth/core/connector";
import { KafkaError } from "../errors.js";

export type KafkaSplit = {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read. */
  readonly offset: string;
  /** Bounded mode: the split ends once its position reaches this offset. */
  readonly stoppingOffset?: string;
};

const DECIMAL = /^(0|[1-9][0-9]{0,18})$/;

export function parseKafkaSplit(value: Json): KafkaSplit {
  const v = value as Record<string, unknown> | null;
  const ok =
    typeof v === "object" &&
    v !== null &&
    typeof v.topic === "string" &&
    Number.isInteger(v.partition) &&
    (v.partition as number) >= 0 &&
    typeof v.offset === "string" &&
    DECIMAL.test(v.offset) &&
    (v.stoppingOffset === undefined ||
      (typeof v.stoppingOffset === "string" && DECIMAL.test(v.stoppingOffset)));
  if (!ok) {
    throw new KafkaError(
      "KAFKA_SOURCE_SPLIT_INVALID",
      `kafka source: restored split ${JSON.stringify(value)} is not {topic, partition, offset[, stoppingOffset]}`,
    );
  }
  return {
    topic: v.topic as string,
    partition: v.partition as number,
    offset: v.offset as string,
    ...(v.stoppingOffset !== undefined ? { stoppingOffset: v.stoppingOffset as string } : {}),
  };
}

export function splitName(split: Pick<KafkaSplit, "topic" | "partition">): string {
  return `${split.topic}-${split.partition}`;
}
