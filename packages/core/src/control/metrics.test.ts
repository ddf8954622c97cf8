/**
 * docs/observability.md's metric table is the registry: every metric `GET /metrics` serves is a
 * row with its type and help text, and every row is served. After a short job the checkpoint
 * metrics hold its checkpoints.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fileSink } from "../file-sink/file-sink.js";
import { Job } from "../job.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { sequenceSource } from "../source/sequence-source.js";
import { workDirectory } from "../test-support.js";
import { jobMetrics } from "./metrics.js";

const doc = readFileSync(
  fileURLToPath(new URL("../../../../docs/observability.md", import.meta.url)),
  "utf8",
);

function documented(): Map<string, { type: string; help: string }> {
  const rows = new Map<string, { type: string; help: string }>();
  for (const line of doc.split("\n")) {
    const m = /^\| `(berth_\w+)`\s*\|\s*(\w+)\s*\|[^|]*\|\s*(.*?)\s*\|$/.exec(line);
    if (m) rows.set(m[1] as string, { type: m[2] as string, help: (m[3] as string).replaceAll("\\_", "_") });
  }
  return rows;
}

describe("GET /metrics", () => {
  it("serves exactly the metrics docs/observability.md lists, with their types and help; checkpoint metrics fill in", async () => {
    const work = workDirectory("metrics");
    const pipeline = Pipeline.create({ name: "metrics" });
    pipeline
      .source(sequenceSource({ count: 500 }), { uid: "seq" })
      .map((seq) => ({ seq }), { uid: "to-record" })
      .sinkTo(fileSink({ directory: join(work, "out") }), { uid: "files" });
    const job = new Job(pipeline, {
      jobId: "metrics",
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 50,
    });
    const registry = jobMetrics(job);
    expect((await job.run()).state).toBe("FINISHED");
    const served = await registry.getMetricsAsJSON();
    expect(new Map(served.map((m) => [m.name, { type: String(m.type), help: m.help }]))).toEqual(
      documented(),
    );
    const value = (name: string) => served.find((m) => m.name === name)?.values ?? [];
    expect(value("berth_last_checkpoint_state_bytes")[0]?.value).toBeGreaterThan(0);
    expect(value("berth_last_checkpoint_age_seconds")[0]?.value).toBeGreaterThanOrEqual(0);
    const count = value("berth_checkpoint_duration_seconds").find((v) =>
      (v as { metricName?: string }).metricName?.endsWith("_count"),
    );
    expect(count?.value).toBeGreaterThan(0);
  });
});
