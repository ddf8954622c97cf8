/**
 * Secrets stay secret: a sink whose target is a connection string with a password, and a
 * commit failure that quotes it, leave no trace of the password in logs, checkpoints,
 * savepoints, REST answers, metrics or `berth info` — the target shows redacted.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { capturingLogger } from "./checkpoint/savepoint-test-support.js";
import { infoCommand } from "./cli/info-command.js";
import { startRestServer } from "./control/rest-server.js";
import { fileSink } from "./file-sink/file-sink.js";
import { Job } from "./job.js";
import { Pipeline } from "./pipeline/pipeline.js";
import { CommitOutcomes } from "./sink/commit-outcome.js";
import type { Sink } from "./sink/sink.js";
import { sequenceSource } from "./source/sequence-source.js";
import { instrumentedSink, waitFor, workDirectory } from "./test-support.js";

const PASSWORD = "s3cret-Pa55";
const TARGET = `postgres://app:${PASSWORD}@db.local:5432/shop?sslpassword=${PASSWORD}`;

function allFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe("secrets", () => {
  it("never reach logs, checkpoints, savepoints, REST answers, metrics or berth info", async () => {
    const work = workDirectory("secrets");
    const out = join(work, "out");
    const checkpointDirectory = join(work, "chk");
    let failing = false;
    const inner = fileSink<{ seq: number }>({ directory: out });
    const sink: Sink<{ seq: number }> = {
      ...instrumentedSink(inner, {
        async commit(c, commit) {
          return failing
            ? CommitOutcomes.failedKnown("CONNECTION_RESET", `connection to ${TARGET} was reset`)
            : commit(c);
        },
      }),
      targetIdentity: () => TARGET,
    };
    const pipeline = Pipeline.create({ name: "orders" });
    pipeline
      .source(sequenceSource({ ratePerSecond: 5_000, batchSize: 20 }), { uid: "seq" })
      .keyBy((n) => n % 4)
      .process(
        {
          processElement(seq, context) {
            context.state<number>("count").update(seq);
            context.emit({ seq });
          },
        },
        { uid: "count" },
      )
      .sinkTo(sink as Sink<unknown>, { uid: "files" });
    const { logger, lines } = capturingLogger();
    const job = new Job(pipeline, {
      checkpointDirectory,
      // No periodic checkpoint: only the stop commits, and it meets the failure.
      checkpointIntervalMs: 600_000,
      stateBackend: "sqlite",
      restartStrategy: { attempts: 0, delayMs: 0 },
      logger,
    });
    const server = await startRestServer(job, { token: false });
    const answers: string[] = [];
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`, {
        method,
        headers: { "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      answers.push(text);
      return text;
    };
    const run = job.run();
    await waitFor(() => job.state === "RUNNING", "RUNNING");
    await sleep(100);
    const savepointTrigger = JSON.parse(await call("POST", `/jobs/${job.jobId}/savepoints`, {}))[
      "request-id"
    ];
    let savepoint: string | undefined;
    while (!savepoint) {
      savepoint = JSON.parse(await call("GET", `/jobs/${job.jobId}/savepoints/${savepointTrigger}`)).operation
        ?.location;
      await sleep(20);
    }
    await call("GET", "/metrics");
    failing = true;
    const stopTrigger = JSON.parse(await call("POST", `/jobs/${job.jobId}/stop`, { drain: false }))[
      "request-id"
    ];
    let failure: { message: string } | undefined;
    while (!failure) {
      failure = JSON.parse(await call("GET", `/jobs/${job.jobId}/savepoints/${stopTrigger}`)).operation?.[
        "failure-cause"
      ];
      await sleep(20);
    }
    expect((await run).state).toBe("FAILED");
    await call("GET", `/jobs/${job.jobId}`);
    await call("GET", "/metrics");
    await server.close(0);

    // The failure names the target, redacted.
    expect(failure.message).toContain("postgres://app:***@db.local:5432/shop?sslpassword=***");
    expect(lines.some((l) => l.includes("postgres://app:***@db.local"))).toBe(true);
    const info: string[] = [];
    await infoCommand(savepoint, false, (l) => info.push(l));
    await infoCommand(savepoint, true, (l) => info.push(l));
    const files = allFiles(checkpointDirectory);
    expect(files.some((f) => f.endsWith("_metadata"))).toBe(true);
    for (const [where, text] of [
      ["logs", lines.join("\n")],
      ["REST answers and metrics", answers.join("\n")],
      ["berth info", info.join("\n")],
      ...files.map((f) => [f, readFileSync(f, "latin1")] as const),
    ]) {
      expect(text.includes(PASSWORD), `${where} holds the password`).toBe(false);
    }
  });
});
