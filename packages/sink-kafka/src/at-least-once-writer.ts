/**
 * The writer of `deliveryGuarantee: "at-least-once"`: kafkajs's idempotent producer (acks=all,
 * no transactions). Records are visible as soon as they are written; a checkpoint waits
 * until every send is acknowledged, so nothing before a completed checkpoint is lost, and a
 * restore writes the records after it again (duplicates, never gaps). No committables.
 */
import type { SinkWriter, SinkWriterContext } from "@berth/core/connector";
import type { Kafka, Producer } from "kafkajs";
import { KafkaError, messageOf } from "./errors.js";
import type { ResolvedKafkaSinkOptions } from "./kafka-sink-options.js";
import { MessageBatch } from "./message-batch.js";
import { recordSerializer, type SerializedRecord } from "./record-serializer.js";

export class AtLeastOnceKafkaWriter<T> implements SinkWriter<T, never> {
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private readonly batch = new MessageBatch();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private readonly serialize: (record: T) => SerializedRecord;

  constructor(
    private readonly context: SinkWriterContext,
    private readonly kafka: Kafka,
    private readonly options: ResolvedKafkaSinkOptions<T>,
  ) {
    this.serialize = recordSerializer(options);
  }

  write(record: T): void | Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.batch.add(this.serialize(record));
    if (this.batch.records >= this.options.batchRecords || this.batch.bytes >= this.options.batchBytes) {
      return this.send();
    }
  }

  async flush(): Promise<void> {
    if (this.batch.records > 0) await this.send();
    await Promise.all([...this.inFlight]);
    if (this.failure !== undefined) throw this.failure;
  }

  async prepareCommit(): Promise<never[]> {
    return [];
  }

  async close(): Promise<void> {
    // Sends to an unreachable broker may take kafkajs's retries to fail: do not hold a failover up.
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
    ]);
    await this.producer?.disconnect().catch(() => undefined);
  }

  private connect(): Promise<Producer> {
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        ...(this.options.partitioner ? { createPartitioner: this.options.partitioner } : {}),
      });
      await producer.connect();
      this.producer = producer;
      return producer;
    })();
    return this.connecting;
  }

  private async send(): Promise<void> {
    const topicMessages = this.batch.take();
    const sending = this.connect()
      .then((producer) =>
        producer.sendBatch({ acks: -1, compression: this.options.compression, topicMessages }),
      )
      .then(
        () => undefined,
        (error: unknown) => {
          this.failure ??= new KafkaError(
            "KAFKA_SEND_FAILED",
            `kafka sink: subtask ${this.context.subtask} could not write: ${messageOf(error)}. The job fails over to its latest checkpoint and writes the records after it again`,
            { cause: error },
          );
        },
      );
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
    if (this.inFlight.size >= this.options.maxInFlightBatches) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }
}
