/**
 * The main demo (`pnpm demo`): exactly-once through a graceful stop, on embedded defaults.
 *
 * 1. A rate-limited sequence runs into the transactional file sink with 200 ms checkpoints.
 * 2. After a second the job is stopped with a savepoint (suspend, FLIP-34): the sink commits
 *    its pending transaction instead of aborting it, so everything read is visible now.
 * 3. The job is restored from the savepoint and runs to end of input.
 * 4. The output is counted: every number exactly once.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileSink, Job, Pipeline, sequenceSource } from "@berth/core";

// Keep the demo quiet: warnings and errors only (set BERTH_LOG_LEVEL=info to see the job log).
process.env.BERTH_LOG_LEVEL ??= "warn";

const COUNT = 20_000;

function buildPipeline(outDir: string): Pipeline {
  const pipeline = Pipeline.create({ name: "demo" });
  pipeline
    .source(sequenceSource({ count: COUNT, ratePerSecond: 8_000 }), { uid: "sequence", parallelism: 2 })
    .map((seq) => ({ seq }), { uid: "to-record", parallelism: 2 })
    .sinkTo(fileSink({ directory: outDir }), { uid: "files", parallelism: 2 });
  return pipeline;
}

function committed(outDir: string): number[] {
  return readdirSync(outDir)
    .filter((name) => !name.startsWith("."))
    .flatMap((name) => readFileSync(join(outDir, name), "utf8").split("\n").filter(Boolean))
    .map((line) => (JSON.parse(line) as { seq: number }).seq);
}

const work = mkdtempSync(join(tmpdir(), "berth-demo-"));
const outDir = join(work, "out");
const checkpointDirectory = join(work, "checkpoints");
try {
  console.log(`Berth demo: ${COUNT} records, sequence → file sink in ${outDir}`);
  const first = new Job(buildPipeline(outDir), {
    jobId: "demo",
    checkpointDirectory,
    checkpointIntervalMs: 200,
  });
  const firstRun = first.run();
  await new Promise((resolve) => first.once("running", resolve));
  await sleep(1_000);
  const savepoint = await first.stop({ drain: false });
  const afterStop = committed(outDir).length;
  console.log(`stopped (${(await firstRun).state}) with savepoint ${savepoint}`);
  console.log(`committed and visible before the restore: ${afterStop} records`);

  const second = new Job(buildPipeline(outDir), {
    jobId: "demo",
    checkpointDirectory,
    checkpointIntervalMs: 200,
    restore: { path: savepoint },
  });
  const result = await second.run();
  console.log(`restored from the savepoint and ran to end of input: ${result.state}`);

  const seqs = committed(outDir);
  const unique = new Set(seqs);
  const lost = COUNT - [...unique].filter((n) => n >= 0 && n < COUNT).length;
  const duplicated = seqs.length - unique.size;
  console.table({ expected: COUNT, committed: seqs.length, lost, duplicated });
  if (result.state !== "FINISHED" || lost !== 0 || duplicated !== 0 || afterStop === 0) {
    console.error("demo FAILED: the output is not exactly-once");
    process.exitCode = 1;
  } else {
    console.log("exactly-once: every record committed once across stop and restore");
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
