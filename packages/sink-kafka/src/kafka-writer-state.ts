/**
 * What the exactly-once writer keeps in checkpoints: `poolSize` tells lingering cleanup which
 * slots existed (which subtasks did, the core's lingering scope knows from the checkpoint
 * itself). Version 1 (the `version` field inside is that version, kept from before the core
 * recorded it).
 */
import { parseWith, type VersionedCodec } from "@berth/core/connector";
import { z } from "zod";
import { KafkaError } from "./errors.js";

export const KAFKA_WRITER_STATE_VERSION = 1;

const writerStateV1 = z.object({
  version: z.literal(1),
  subtask: z.number().int().nonnegative(),
  parallelism: z.number().int().positive(),
  poolSize: z.number().int().positive(),
});

export type KafkaWriterState = {
  readonly version: 1;
  readonly subtask: number;
  readonly parallelism: number;
  /** Slots per subtask this writer may have opened: its `maxPoolSize`. */
  readonly poolSize: number;
};

export const kafkaWriterStateCodec: VersionedCodec<KafkaWriterState> = {
  version: KAFKA_WRITER_STATE_VERSION,
  parse(version, stored) {
    if (version !== KAFKA_WRITER_STATE_VERSION)
      throw new KafkaError(
        "KAFKA_WRITER_STATE_INVALID",
        `kafka sink: writer state of version ${version} is unknown to this @berth/sink-kafka, which reads version ${KAFKA_WRITER_STATE_VERSION}`,
      );
    return parseWith(
      writerStateV1,
      stored,
      (problems, cause) =>
        new KafkaError(
          "KAFKA_WRITER_STATE_INVALID",
          `kafka sink: writer state ${JSON.stringify(stored)}: ${problems}`,
          {
            cause,
          },
        ),
    );
  },
};
