/**
 * A subtask's output: routes each record to one downstream channel by the edge's
 * partitioning (forward, round-robin, or by key group), and broadcasts watermarks and
 * barriers to all of them.
 */
import type { Partitioning } from "../pipeline/pipeline.js";
import { keyGroupOf, keyString, subtaskOfKeyGroup } from "../state/key-groups.js";
import type { Channel } from "./channel.js";
import type { Output } from "./operator.js";
import type { StreamElement } from "./stream-element.js";

export class RoutingOutput implements Output {
  private next = 0;

  constructor(
    /** One channel per downstream subtask (forward: exactly one). */
    private readonly channels: Channel[],
    private readonly partitioning: Partitioning,
    private readonly maxParallelism: number,
  ) {}

  emit(value: unknown, timestamp: number | undefined): void | Promise<void> {
    return this.channelFor(value).push({ kind: "record", value, timestamp });
  }

  private channelFor(value: unknown): Channel {
    const channels = this.channels;
    if (channels.length === 1) return channels[0] as Channel;
    if (this.partitioning.kind === "hash") {
      const keyGroup = keyGroupOf(keyString(this.partitioning.keyOf(value)), this.maxParallelism);
      return channels[subtaskOfKeyGroup(keyGroup, this.maxParallelism, channels.length)] as Channel;
    }
    this.next = (this.next + 1) % channels.length;
    return channels[this.next] as Channel;
  }

  async broadcast(element: StreamElement): Promise<void> {
    for (const channel of this.channels) await channel.push(element);
  }
}
