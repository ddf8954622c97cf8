/**
 * The source's consumer-group offsets: after each completed checkpoint (and with a stop's
 * savepoint) a reader commits the positions it checkpointed to the group, so standard lag tools
 * (`kafka-consumer-groups --describe`, exporters) show the job's progress. They are a report,
 * never state: a restore reads the checkpoint only, and a failed commit is logged, never thrown.
 */
import type { SinkLog } from "@berth/core/connector";
import type { Kafka } from "kafkajs";
import { KafkaError, messageOf } from "../errors.js";
import { type GroupOffset, GroupOffsetCommitter } from "../kafka-internals/index.js";

/** How long one commit may take before it is given up (and logged). */
export const GROUP_COMMIT_TIMEOUT_MS = 10_000;
/** Snapshots kept while their checkpoints are in flight (checkpoints that never complete are dropped). */
const KEPT_SNAPSHOTS = 16;

export function defaultGroupId(jobId: string, uid: string): string {
  return `berth-${jobId}-${uid}`;
}

/**
 * Throws `KAFKA_SOURCE_GROUP_ACTIVE` when consumers are members of the group: their commits and
 * the source's would overwrite each other. A broker that does not answer is only logged (the
 * check protects, the job does not depend on it).
 */
export async function refuseActiveGroup(kafka: Kafka, groupId: string, log: SinkLog): Promise<void> {
  const admin = kafka.admin();
  let members: number;
  try {
    await admin.connect();
    const { groups } = await admin.describeGroups([groupId]);
    members = groups[0]?.members.length ?? 0;
  } catch (error) {
    log.warn(`kafka source: cannot describe consumer group "${groupId}" (${messageOf(error)}); going on`);
    return;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  if (members > 0) {
    throw new KafkaError(
      "KAFKA_SOURCE_GROUP_ACTIVE",
      `kafka source: consumer group "${groupId}" has ${members} active member(s); the source commits its checkpointed offsets to a group it does not join, so set groupId to a group no consumer uses (or commitOffsets: false)`,
    );
  }
}

export class CheckpointOffsets {
  private readonly snapshots = new Map<number, GroupOffset[]>();
  private chain: Promise<void> = Promise.resolve();
  private committer: GroupOffsetCommitter | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly log: SinkLog,
  ) {}

  /** The positions a reader put into checkpoint `checkpointId`. */
  remember(checkpointId: number, offsets: GroupOffset[]): void {
    this.snapshots.set(checkpointId, offsets);
    for (const id of this.snapshots.keys()) {
      if (this.snapshots.size <= KEPT_SNAPSHOTS) break;
      this.snapshots.delete(id);
    }
  }

  /** Commits checkpoint `checkpointId`'s positions after the commits before it; never rejects. */
  completed(checkpointId: number): Promise<void> {
    const offsets = this.snapshots.get(checkpointId);
    for (const id of this.snapshots.keys()) if (id <= checkpointId) this.snapshots.delete(id);
    if (offsets) this.chain = this.chain.then(() => this.commit(checkpointId, offsets));
    return this.chain;
  }

  private async commit(checkpointId: number, offsets: GroupOffset[]): Promise<void> {
    this.committer ??= new GroupOffsetCommitter(this.kafka);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.committer.commit(this.groupId, offsets),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${GROUP_COMMIT_TIMEOUT_MS} ms`)),
            GROUP_COMMIT_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (error) {
      this.log.warn(
        `kafka source: committing the offsets of checkpoint ${checkpointId} to consumer group "${this.groupId}" failed (${messageOf(error)}); the job goes on from its checkpoints, and the next completed checkpoint commits again`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.chain;
    await this.committer?.close().catch(() => undefined);
  }
}
