/**
 * Independent readers of what the examples' targets hold — plain SQL (pg), an S3 listing (the
 * AWS SDK), a `read_committed` kafkajs consumer, the file sink's directory — for the examples'
 * integration tests, the demo's summary and `pnpm targets` (targets.ts). None shares code with
 * Berth's sinks, so a verdict on a target never rests on the code that wrote it.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { kafkaBrokers, postgresUrl, s3Client } from "./targets-env.js";

/** A name unique to this run (topics, tables, buckets, job ids): lower case, digits and `-`. */
export function uniqueName(what: string): string {
  return `${what}-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
}

export async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Rows of `table`, or none when it does not exist yet. */
export async function rowsOf<R extends pg.QueryResultRow>(table: string, select = "*"): Promise<R[]> {
  const [found] = await sql<{ t: string | null }>("SELECT to_regclass($1) AS t", [table]);
  return found?.t ? sql<R>(`SELECT ${select} FROM "${table}"`) : [];
}

/** Keys of every object under `base/` in `bucket`, or undefined when the bucket does not exist. */
async function s3Keys(client: S3Client, bucket: string, base: string): Promise<string[] | undefined> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client
      .send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: base ? `${base}/` : "",
          ContinuationToken: token,
        }),
      )
      .catch((error: Error) => {
        if (error.name === "NoSuchBucket") return undefined;
        throw error;
      });
    if (page === undefined) return undefined;
    keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** The JSON lines of every object under `base/` in `bucket`, by key (S3Proxy's write-in-progress files skipped; none while the bucket does not exist). */
export async function s3Lines(bucket: string, base: string): Promise<Map<string, unknown[]>> {
  const client = new S3Client(s3Client());
  try {
    const objects = new Map<string, unknown[]>();
    for (const key of (await s3Keys(client, bucket, base)) ?? []) {
      if (!/\.jsonl$/.test(key)) continue;
      const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = (await body.Body?.transformToString()) ?? "";
      objects.set(
        key,
        text
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line)),
      );
    }
    return objects;
  } finally {
    client.destroy();
  }
}

/**
 * The value of every committed record of `topic`, read with kafkajs's consumer in
 * `read_committed` isolation from the first offset of each partition up to its end at the time
 * of the call (called after the job's stop returned, when nothing is open). Bounded: at most 30 s.
 */
export async function kafkaValues(topic: string): Promise<string[]> {
  const kafka = new Kafka({
    brokers: kafkaBrokers().split(","),
    clientId: "examples-test",
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = uniqueName("examples-reader");
  try {
    if (!(await admin.listTopics()).includes(topic)) return [];
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
    const reached = new Map([...ends].map(([p, high]) => [p, high === 0n]));
    const values: string[] = [];
    if ([...reached.values()].every(Boolean)) return values;
    const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 });
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    // A batch's last offset counts transaction markers too, which the consumer never hands over.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (BigInt(payload.lastOffset) + 1n >= (ends.get(payload.partition) ?? 0n))
        reached.set(payload.partition, true);
      if ([...reached.values()].every(Boolean)) done();
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            if (BigInt(m.offset) < (ends.get(batch.partition) ?? 0n) && m.value)
              values.push(m.value.toString());
          }
        },
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`reading ${topic} did not reach its end within 30 s`)),
          30_000,
        );
      });
      await Promise.race([all, timeout]).finally(() => clearTimeout(timer));
      return values;
    } finally {
      await consumer.disconnect();
    }
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

/** Polls `condition` every 100 ms until it holds; fails after `ms` naming `what`. */
export async function waitFor(what: string, condition: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The numbers 0..count-1 that `seqs` misses, and those it holds more than once. */
export function lostAndDuplicated(
  seqs: readonly number[],
  count: number,
): { lost: number[]; duplicated: number[] } {
  const seen = new Map<number, number>();
  for (const s of seqs) seen.set(s, (seen.get(s) ?? 0) + 1);
  const lost = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([s]) => s);
  return { lost, duplicated };
}

/** The JSON lines of a file sink's committed files in `directory` (pre-committed ones start with `.`). */
export async function fileRecords(directory: string): Promise<unknown[]> {
  if (!existsSync(directory)) return [];
  const files = (await readdir(directory)).filter((f) => !f.startsWith("."));
  const texts = await Promise.all(files.map((f) => readFile(join(directory, f), "utf8")));
  return texts.flatMap((text) =>
    text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line)),
  );
}

export const TARGET_KINDS = ["files", "kafka", "postgres", "s3"] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/**
 * The `seq` of every committed record of a target: a file sink's directory (its visible files;
 * pre-committed ones are hidden), a topic, a table, or `bucket/base` in S3.
 */
export async function targetSeqs(kind: TargetKind, name: string): Promise<number[]> {
  const seqOf = (record: unknown) => Number((record as { seq: number | string }).seq);
  switch (kind) {
    case "files": {
      if (!existsSync(name)) return [];
      const files = (await readdir(name)).filter((f) => !f.startsWith("."));
      const lines = await Promise.all(
        files.map(async (f) => (await readFile(join(name, f), "utf8")).split("\n")),
      );
      return lines
        .flat()
        .filter(Boolean)
        .map((line) => seqOf(JSON.parse(line)));
    }
    case "kafka":
      return (await kafkaValues(name)).map((value) => seqOf(JSON.parse(value)));
    case "postgres":
      return (await rowsOf(name, "seq")).map(seqOf);
    case "s3": {
      const [bucket = "", ...base] = name.split("/");
      return [...(await s3Lines(bucket, base.join("/")))].flatMap(([, lines]) => lines.map(seqOf));
    }
  }
}

/** Empties a target: deletes the directory, the topic, the table or every object under `bucket/base`. */
export async function resetTarget(kind: TargetKind, name: string): Promise<void> {
  switch (kind) {
    case "files":
      await rm(name, { recursive: true, force: true });
      return;
    case "kafka": {
      const kafka = new Kafka({
        brokers: kafkaBrokers().split(","),
        clientId: "examples",
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      await admin.connect();
      try {
        if ((await admin.listTopics()).includes(name)) await admin.deleteTopics({ topics: [name] });
        // Deletion completes in the background; a topic created again before it ends is refused.
        await waitFor(
          `topic ${name} to be deleted`,
          async () => !(await admin.listTopics()).includes(name),
          30_000,
        );
      } finally {
        await admin.disconnect();
      }
      return;
    }
    case "postgres":
      await sql(`DROP TABLE IF EXISTS "${name}"`);
      return;
    case "s3": {
      const [bucket = "", ...base] = name.split("/");
      const client = new S3Client(s3Client());
      try {
        for (const key of (await s3Keys(client, bucket, base.join("/"))) ?? []) {
          await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        }
      } finally {
        client.destroy();
      }
    }
  }
}
