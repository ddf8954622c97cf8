/**
 * The job log of `berth run` (docs/observability.md): on stdout, JSON lines when stdout is not a
 * terminal or with `--log-format json`, one readable line per entry with `--log-format pretty`;
 * every entry carries the job id, and each completed checkpoint is one info line with its id;
 * stderr stays empty when the job succeeds; a bad `--log-format` is a usage error (exit 2).
 */
import { describe, expect, it } from "vitest";
import { berth, environment, runArgs } from "./cli-test-support.js";

describe("berth run's log", () => {
  it("is JSON lines on a pipe, with the job id and an info line per completed checkpoint", async () => {
    const env = environment("log-json", { SEQ_COUNT: "2000", SEQ_RATE: "0", BERTH_LOG_LEVEL: "info" });
    const result = await berth(env, runArgs(env, "log-json", "--checkpoint-interval", "100"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    const entries = result.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) expect(entry.jobId).toBe("log-json");
    const completed = entries.filter((e) => /^checkpoint \d+ completed$/.test(String(e.msg)));
    expect(completed.length).toBeGreaterThan(0);
    for (const e of completed) {
      expect(e.level).toBe(30); // pino's info
      expect(e.msg).toBe(`checkpoint ${e.checkpointId} completed`);
      expect(typeof e.durationMs).toBe("number");
      expect(typeof e.stateBytes).toBe("number");
    }
  });

  it("--log-format pretty prints readable lines; json forces JSON", async () => {
    const env = environment("log-pretty", { SEQ_COUNT: "200", SEQ_RATE: "0", BERTH_LOG_LEVEL: "info" });
    const pretty = await berth(env, runArgs(env, "log-pretty", "--log-format", "pretty"));
    expect(pretty.code, pretty.stderr).toBe(0);
    expect(pretty.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}job RUNNING jobId=log-pretty$/m);
    expect(pretty.stdout).not.toMatch(/^\{/m);
    const json = await berth(env, runArgs(env, "log-json-2", "--log-format", "json"));
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).toMatch(/^\{.*"msg":"job RUNNING".*\}$/m);
  });

  it("refuses an unknown --log-format with exit 2 and one berth: line", async () => {
    const env = environment("log-bad");
    const result = await berth(env, runArgs(env, "log-bad", "--log-format", "xml"));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^berth: .*--log-format.*use pretty or json/),
    ]);
  });
});
