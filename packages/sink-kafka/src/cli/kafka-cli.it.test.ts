/**
 * `berth kafka abort-lingering` against the real broker: transactions left open under a
 * prefix — inside the probed bounds and outside them (a subtask or slot no run knows about,
 * found by ListTransactions) — are aborted, their records never become visible, other
 * prefixes are untouched; `--dry-run` only lists; bad usage exits 2 with one line.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TransactionalProducer } from "../kafka-internals/index.js";
import {
  createTopic,
  openTransactions,
  readCommittedSeqs,
  TEST_BROKERS,
  testKafka,
  uniqueName,
} from "../test-support.js";
import { runKafkaCli } from "./kafka-cli.js";

const kafka = testKafka();

/** Opens a transaction on `transactionalId`, writes `{seq}` records into it, pre-commits it and walks away. */
async function leaveOpen(transactionalId: string, topic: string, seqs: number[]): Promise<void> {
  const producer = await TransactionalProducer.open(kafka, {
    transactionalId,
    transactionTimeoutMs: 300_000,
  });
  producer.begin();
  await producer.send([{ topic, messages: seqs.map((seq) => ({ value: JSON.stringify({ seq }) })) }]);
  await producer.prepareCommit();
  await producer.close();
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe.concurrent("berth kafka abort-lingering", () => {
  it("aborts every open transaction of the prefix, probed or listed; leaves other prefixes alone", async () => {
    const topic = uniqueName("lingering");
    await createTopic(kafka, topic, 2);
    const prefix = uniqueName("lp");
    const other = `${prefix}-x`; // a longer prefix: its ids are not the prefix's
    await leaveOpen(`${prefix}-0-0`, topic, [1, 2]);
    await leaveOpen(`${prefix}-1-2`, topic, [3]);
    await leaveOpen(`${prefix}-7-9`, topic, [4]); // outside --max-subtasks 2 × --pool-size 3: found by listing
    await leaveOpen(`${other}-0-0`, topic, [5]);
    // Listed by a plain string prefix, so the longer prefix's id is in the list too.
    expect(await openTransactions(kafka, prefix)).toEqual(
      [`${prefix}-0-0`, `${prefix}-1-2`, `${prefix}-7-9`, `${other}-0-0`].sort(),
    );

    const dry = capture();
    const args = [
      "--prefix",
      prefix,
      "--brokers",
      TEST_BROKERS.join(","),
      "--max-subtasks",
      "2",
      "--pool-size",
      "3",
    ];
    expect(await runKafkaCli(["abort-lingering", ...args, "--dry-run"], dry.io)).toBe(0);
    expect(dry.out.join("\n")).toMatch(/3 lingering transaction\(s\) under prefix .* would be aborted/);
    expect(await openTransactions(kafka, prefix)).toHaveLength(4);

    const run = capture();
    expect(await runKafkaCli(["abort-lingering", ...args, "--json"], run.io)).toBe(0);
    const report = JSON.parse(run.out[0] as string) as { aborted: string[]; probed: number; listed: boolean };
    expect(report.aborted).toEqual([`${prefix}-0-0`, `${prefix}-1-2`, `${prefix}-7-9`]);
    expect(report.probed).toBe(6 - 2);
    expect(report.listed).toBe(true);
    expect(await openTransactions(kafka, prefix)).toEqual([`${other}-0-0`]);
    // Their records never become visible; the other prefix's transaction still blocks the rest of
    // its partition for read_committed readers until it ends, so end it too.
    const cleanup = capture();
    expect(
      await runKafkaCli(
        [
          "abort-lingering",
          "--prefix",
          other,
          "--brokers",
          TEST_BROKERS.join(","),
          "--max-subtasks",
          "1",
          "--pool-size",
          "1",
        ],
        cleanup.io,
      ),
    ).toBe(0);
    expect(await readCommittedSeqs(kafka, topic)).toEqual([]);
  });

  it("probes the bounded id set when the prefix has nothing open", async () => {
    const { io, out } = capture();
    const prefix = uniqueName("empty");
    expect(
      await runKafkaCli(
        [
          "abort-lingering",
          "--prefix",
          prefix,
          "--brokers",
          TEST_BROKERS.join(","),
          "--max-subtasks",
          "4",
          "--pool-size",
          "2",
        ],
        io,
      ),
    ).toBe(0);
    expect(out.join("\n")).toBe(
      `no lingering transaction under prefix ${prefix} (listed open transactions and probed 8 ids (4 subtasks × 2 slots))`,
    );
  });

  it("bad usage exits 2 with one line; through `berth kafka` too", async () => {
    const a = capture();
    expect(await runKafkaCli(["abort-lingering", "--brokers", "127.0.0.1:9092"], a.io)).toBe(2);
    expect(a.err).toEqual(["berth: --prefix is required; see berth kafka --help"]);
    const b = capture();
    expect(await runKafkaCli(["abort-lingering", "--prefix", "p", "--brokers", "nonsense"], b.io)).toBe(2);
    expect(b.err[0]).toMatch(/`brokers` lists "nonsense", which is not host:port/);
    const c = capture();
    expect(await runKafkaCli(["frobnicate"], c.io)).toBe(2);

    const repo = fileURLToPath(new URL("../../../../", import.meta.url));
    const prefix = uniqueName("via-berth");
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          join(repo, "packages/core/bin/berth.mjs"),
          "kafka",
          "abort-lingering",
          "--prefix",
          prefix,
          "--brokers",
          TEST_BROKERS.join(","),
          "--max-subtasks",
          "1",
          "--pool-size",
          "1",
        ],
        { cwd: repo, stdio: ["ignore", "pipe", "inherit"] },
      );
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.on("error", reject);
      child.on("exit", (code) => resolve({ code, stdout }));
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`no lingering transaction under prefix ${prefix}`));
  }, 60_000);
});
