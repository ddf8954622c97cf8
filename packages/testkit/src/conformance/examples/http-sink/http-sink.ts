/**
 * An exactly-once sink for an HTTP endpoint that deduplicates by `Idempotency-Key` — the
 * example of packages/testkit/README.md. The endpoint has no transactions, so the writer
 * keeps each transaction's records and pre-commit hands them over as the committable: they
 * are durable in the checkpoint, invisible at the target. Commit POSTs them under a key
 * unique to the transaction attempt, so a recommit is answered "already applied".
 */
import {
  type CommitOutcome,
  CommitOutcomes,
  type Committer,
  type Sink,
  type SinkWriter,
  type SinkWriterContext,
  TypedError,
  type VersionedCodec,
} from "@berth/core";

export interface HttpSinkOptions {
  /** Base URL of the collection, e.g. `http://127.0.0.1:8080/collections/orders`. */
  readonly url: string;
}

/** Version 1: one batch of records and the key that makes its POST idempotent. */
export type HttpCommittable = {
  readonly url: string;
  readonly key: string;
  readonly records: { seq: number }[];
};

export class HttpSinkError extends TypedError<"HTTP_COMMITTABLE_INVALID"> {
  static override readonly marker = "berth.testkit.examples/HttpSinkError";
}

/** The checkpoint holds version 1; a restore parses each committable once, before it is committed. */
const httpCommittable: VersionedCodec<HttpCommittable> = {
  version: 1,
  parse(version, stored) {
    const c = stored as Partial<HttpCommittable> | null;
    const valid =
      version === 1 &&
      typeof c?.url === "string" &&
      typeof c.key === "string" &&
      Array.isArray(c.records) &&
      c.records.every((r) => Number.isInteger(r?.seq));
    if (!valid)
      throw new HttpSinkError(
        "HTTP_COMMITTABLE_INVALID",
        `http sink: committable of version ${version} is not {url, key, records: [{seq}]}`,
      );
    return c as HttpCommittable;
  },
};

class HttpWriter implements SinkWriter<{ seq: number }, HttpCommittable> {
  private batch: { key: string; records: { seq: number }[] } | undefined;

  constructor(
    private readonly context: SinkWriterContext,
    private readonly url: string,
  ) {}

  write(record: { seq: number }): void {
    // The transaction opens lazily, with the id of the checkpoint that will close it.
    if (!this.batch) {
      const { names, subtask, attemptId } = this.context;
      this.batch = {
        key: names.attempt({ subtask, attemptId, checkpointId: this.context.currentCheckpointId() }),
        records: [],
      };
    }
    this.batch.records.push(record);
  }

  async flush(): Promise<void> {}

  async prepareCommit(): Promise<HttpCommittable[]> {
    const batch = this.batch;
    this.batch = undefined;
    return batch ? [{ url: this.url, ...batch }] : [];
  }

  async close(): Promise<void> {}
}

class HttpCommitter implements Committer<HttpCommittable> {
  async commit(committable: HttpCommittable): Promise<CommitOutcome> {
    let response: Response;
    try {
      response = await fetch(`${committable.url}/batches`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": committable.key },
        body: JSON.stringify({ records: committable.records }),
      });
    } catch (error) {
      return CommitOutcomes.retryLater(`POST ${committable.url} failed: ${String(error)}`, error);
    }
    if (response.status === 201) return CommitOutcomes.committed;
    if (response.status === 200 && response.headers.get("idempotent-replayed") === "true") {
      return CommitOutcomes.alreadyCommitted;
    }
    if (response.status >= 500 || response.status === 429) {
      return CommitOutcomes.retryLater(`POST ${committable.url} answered ${response.status}`);
    }
    return CommitOutcomes.failedKnown(
      "HTTP_COMMIT_REJECTED",
      `POST ${committable.url} answered ${response.status}`,
    );
  }

  async close(): Promise<void> {}
}

export function httpSink(options: HttpSinkOptions): Sink<{ seq: number }, HttpCommittable> {
  return {
    kind: "http",
    committable: httpCommittable,
    targetIdentity: () => options.url,
    createWriter: async (context) => new HttpWriter(context, options.url),
    createCommitter: async () => new HttpCommitter(),
    // Nothing reaches the endpoint before its commit, so nothing can linger there.
    abortLingering: async () => {},
  };
}
