/** Serialized records collected per topic until one produce call sends them. */
import type { SerializedRecord } from "./record-serializer.js";

export interface TopicBatch {
  topic: string;
  messages: SerializedRecord["message"][];
}

export class MessageBatch {
  #topics = new Map<string, TopicBatch>();
  records = 0;
  bytes = 0;

  add(record: SerializedRecord): void {
    let batch = this.#topics.get(record.topic);
    if (!batch) {
      batch = { topic: record.topic, messages: [] };
      this.#topics.set(record.topic, batch);
    }
    batch.messages.push(record.message);
    this.records++;
    this.bytes += record.bytes;
  }

  /** Everything collected, as kafkajs's `topicMessages`; the batch is empty afterwards. */
  take(): TopicBatch[] {
    const taken = [...this.#topics.values()];
    this.#topics = new Map();
    this.records = 0;
    this.bytes = 0;
    return taken;
  }
}
