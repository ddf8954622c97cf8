/**
 * `examples/fan-out.ts` through the `berth` CLI against the real Kafka, PostgreSQL and S3: when
 * `berth stop` returns, all three targets hold the same records (each sink committed before the
 * stop returned), and after a restore, a SIGKILL and a `--from-latest` recovery each holds
 * every record once. Each target is read by a reader of its own: a `read_committed` kafkajs
 * consumer, SQL, an S3 listing.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  kafkaValues,
  lostAndDuplicated,
  rowsOf,
  s3Lines,
  sql,
  uniqueName,
  waitFor,
} from "../target-readers.js";
import { berth } from "./berth-runs.js";

/** A minute at 100 records per second: the stop and the kill land long before the end of input, even on a loaded machine. */
const COUNT = 6000;
const name = uniqueName("fan-out");
const table = name.replaceAll("-", "_");

async function targets(): Promise<{ kafka: number[]; postgres: number[]; s3: number[] }> {
  const seqOf = (json: string) => (JSON.parse(json) as { seq: number }).seq;
  return {
    kafka: (await kafkaValues(name)).map(seqOf),
    postgres: (await rowsOf<{ seq: string }>(table, "seq")).map((r) => Number(r.seq)),
    s3: [...(await s3Lines(name, "fan-out")).values()].flat().map((r) => (r as { seq: number }).seq),
  };
}

const sorted = (seqs: number[]) => [...seqs].sort((a, b) => a - b);

afterAll(async () => {
  await sql(`DROP TABLE IF EXISTS "${table}"`);
});

describe("examples/fan-out.ts", () => {
  it("a stop returns once Kafka, PostgreSQL and S3 all committed; a crash and a recovery leave each with every record once", async () => {
    const env = {
      KAFKA_TOPIC: name,
      PG_TABLE: table,
      S3_BUCKET: name,
      SEQ_COUNT: String(COUNT),
      SEQ_RATE: "100",
    };
    const checkpointDir = await mkdtemp(join(tmpdir(), "berth-fan-out-"));
    const run = (extra: string[] = [], rate = env.SEQ_RATE) =>
      berth(
        [
          "run",
          "examples/fan-out.ts",
          "--job-id",
          name,
          "--checkpoint-dir",
          checkpointDir,
          "--checkpoint-interval",
          "300",
          ...extra,
        ],
        { ...env, SEQ_RATE: rate },
      );
    const rows = async () => (await rowsOf(table, "seq")).length;

    const first = run();
    await waitFor("rows in PostgreSQL", async () => (await rows()) > 0);
    const stopped = await berth(["stop", name], env).exit;
    expect(stopped.code, stopped.output).toBe(0);
    const atStop = await targets();
    expect((await first.exit).code).toBe(0);
    // Read the moment the stop returned: one checkpoint's worth everywhere, the same records.
    const seqs = sorted(atStop.postgres);
    expect(seqs.length).toBeLessThan(COUNT);
    expect(lostAndDuplicated(seqs, seqs.length)).toEqual({ lost: [], duplicated: [] });
    expect(sorted(atStop.kafka)).toEqual(seqs);
    expect(sorted(atStop.s3)).toEqual(seqs);

    const restored = run(["--from-latest"]);
    await waitFor("more rows after the restore", async () => (await rows()) > seqs.length);
    restored.child.kill("SIGKILL");
    expect((await restored.exit).code).toBeNull();
    const recovered = await run(["--from-latest"], "0").exit;
    expect(recovered.code, recovered.output).toBe(0);
    const end = await targets();
    for (const [target, held] of Object.entries(end)) {
      expect(lostAndDuplicated(held, COUNT), target).toEqual({ lost: [], duplicated: [] });
      expect(held.length, target).toBe(COUNT);
    }
  });
});
