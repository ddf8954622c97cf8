/**
 * A process pre-commits a transaction and is SIGKILLed before committing; another process
 * commits it from the prepared transaction alone. Real broker at KAFKA_BROKERS.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type PreparedTransaction, parsePreparedTransaction } from "./prepared-transaction.js";
import { createTopic, readCommitted, testKafka, uniqueName } from "./test-support.js";
import { TransactionClient } from "./transaction-client.js";

const here = dirname(fileURLToPath(import.meta.url));
const tsxLoader = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist", "loader.mjs"),
).href;

/** Runs the pre-commit child until it printed its prepared transaction, then SIGKILLs it. */
async function precommitInChildAndKill(env: Record<string, string>): Promise<PreparedTransaction> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", tsxLoader, join(here, "precommit-child.fixture.ts")],
    {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  try {
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const nl = stdout.indexOf("\n");
        if (nl >= 0) resolve(stdout.slice(0, nl));
      });
      void exited.then(({ code }) =>
        reject(new Error(`child exited (${code}) before pre-committing:\n${stderr}`)),
      );
      setTimeout(() => reject(new Error(`child did not pre-commit within 60 s:\n${stderr}`)), 60_000);
    });
    const prepared = parsePreparedTransaction((JSON.parse(line) as { prepared: unknown }).prepared);
    child.kill("SIGKILL");
    expect((await exited).signal).toBe("SIGKILL");
    return prepared;
  } finally {
    child.kill("SIGKILL");
  }
}

describe("crash between pre-commit and commit", () => {
  const kafka = testKafka();
  const client = TransactionClient.create(kafka);
  afterAll(() => client.close());

  it("commits the killed process's transaction exactly once, then answers alreadyCommitted", async () => {
    const topic = uniqueName("crash-resume");
    const transactionalId = `${uniqueName("sink")}-0-0`;
    const count = 25;
    await createTopic(kafka, topic, 3);

    const prepared = await precommitInChildAndKill({
      TOPIC: topic,
      TXN_ID: transactionalId,
      RECORDS: String(count),
    });
    expect(prepared.transactionalId).toBe(transactionalId);
    expect(prepared.anchor?.topic).toBe(topic);

    // Pre-committed: durable but invisible.
    expect(await client.readTransactionOutcome(prepared)).toEqual({ kind: "open" });
    expect(await readCommitted(kafka, topic, { expected: 1, settleMs: 0, maxWaitMs: 3_000 })).toEqual([]);

    expect(await client.resumeAndCommit(prepared)).toEqual({ kind: "committed" });
    const seen = await readCommitted(kafka, topic, { expected: count });
    expect(seen.map((v) => (JSON.parse(v) as { seq: number }).seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: count }, (_, i) => i),
    );

    // Idempotent: a second commit (e.g. after another crash) changes nothing.
    expect(await client.resumeAndCommit(prepared)).toEqual({ kind: "alreadyCommitted" });
    expect(await client.resumeAndCommit({ ...prepared })).toEqual({ kind: "alreadyCommitted" });
    expect(await readCommitted(kafka, topic, { expected: count + 1, maxWaitMs: 2_000 })).toHaveLength(count);
  });
});
