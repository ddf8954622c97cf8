/**
 * An unreachable broker is reported, not waited on (issue 10, item 6): `berth run
 * examples/sequence-to-kafka.ts` against a port nothing listens on prints a progress line per
 * retry naming the broker (on stdout, with the job's log) and then exactly one `berth: …` line
 * naming the endpoint and what to check, exit 2 — no "started" line, no hang.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const BERTH = join(REPO, "packages/core/bin/berth.mjs");

/** A loopback port that was free a moment ago: nothing listens on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("an unreachable Kafka broker", () => {
  it("is reported with progress while retrying, then one line naming the endpoint", async () => {
    const broker = `127.0.0.1:${await closedPort()}`;
    const work = mkdtempSync(join(tmpdir(), "berth-unreachable-"));
    const child = spawn(
      process.execPath,
      [
        BERTH,
        "run",
        "examples/sequence-to-kafka.ts",
        "--job-id",
        "unreachable",
        "--checkpoint-dir",
        join(work, "chk"),
      ],
      {
        cwd: REPO,
        env: {
          ...process.env,
          BERTH_HOME: join(work, "home"),
          KAFKA_BROKERS: broker,
          KAFKA_TOPIC: "berth-unreachable",
          BERTH_LOG_LEVEL: "warn",
        },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, stderr).toBe(2);
    const progress = stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(progress.length, `stdout: ${stdout}\nstderr: ${stderr}`).toBeGreaterThan(0);
    for (const line of progress)
      expect(line).toMatch(new RegExp(`^kafka: cannot reach broker ${broker} .*; retry \\d+ in`));
    expect(stdout).not.toContain("started");
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^berth: .*cannot reach Kafka at ${broker} .*ECONNREFUSED.*check that the broker runs`),
    );
  });
});
