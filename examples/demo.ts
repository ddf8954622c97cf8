/**
 * The guided demo (`pnpm demo [--targets kafka,postgres,s3] [--work DIR]`): exactly-once through
 * a savepoint, a stop, a crash and a drain, each step printed as it happens. The job
 * (demo-pipeline.ts: a sequence into the file sink, and the same numbers as orders in 5 s
 * event-time windows into the file sink) runs as a real `berth run` child process:
 *
 * 1. start it; 2. take a savepoint while it runs; 3. stop it (suspend) — everything before the
 * stop is committed; 4. resume from the stop's savepoint; 5. SIGKILL the process mid-run;
 * 6. recover from the latest checkpoint (`--from-latest`); 7. stop with drain — the open
 * windows fire.
 *
 * It ends with one table counted by reading the targets (target-readers.ts), never from the
 * job's own metrics, and exits 1 when a record is duplicated or lost. `--targets` adds sinks
 * for the sequence on those services (`pnpm services up`); `--work DIR` keeps the output and
 * checkpoints there (default: a temporary folder, deleted at the end).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type BerthProcess, runBerth } from "@berth/testkit";
import { demoTargets } from "./demo-pipeline.js";
import { expectedTotals, type WindowTotals, windowKey } from "./orders.js";
import {
  fileRecords,
  resetTarget,
  TARGET_KINDS,
  type TargetKind,
  targetSeqs,
  waitFor,
} from "./target-readers.js";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const { values: flags } = parseArgs({
  options: { targets: { type: "string", default: "" }, work: { type: "string" } },
});
const extra = (flags.targets ?? "").split(",").filter(Boolean) as TargetKind[];
for (const kind of extra) {
  if (kind === "files" || !TARGET_KINDS.includes(kind)) {
    console.error(`berth demo: --targets ${flags.targets}: use a comma list of kafka, postgres, s3`);
    process.exit(2);
  }
}
const kinds: TargetKind[] = ["files", ...extra];
const work = flags.work ? resolve(flags.work) : mkdtempSync(join(tmpdir(), "berth-demo-"));
mkdirSync(work, { recursive: true });
const out = join(work, "out");
const targets = demoTargets(out);
const jobId = `demo-${Date.now().toString(36)}`;
// The job logs JSON lines at info (its stdout is a pipe): the stop latency is read from them.
const env = { DEMO_OUT: out, DEMO_TARGETS: extra.join(","), DEMO_RATE: "1000", BERTH_LOG_LEVEL: "info" };
const runArgs = [
  "run",
  "examples/demo-pipeline.ts",
  "--job-id",
  jobId,
  "--checkpoint-dir",
  join(work, "checkpoints"),
];
const children = new Set<BerthProcess>();

function step(n: number, what: string, text: string): void {
  console.log(`${String(n).padStart(2)}. ${what.padEnd(9)} ${text}`);
}

/** `berth run …` in the background; resolves once it printed `started` (bounded), with its output so far. */
async function start(extra: string[]): Promise<{ job: BerthProcess; said: () => string }> {
  const job = runBerth([...runArgs, "--checkpoint-interval", "500", ...extra], env, REPO);
  children.add(job);
  let said = "";
  job.child.stdout?.on("data", (d: Buffer) => {
    said += d.toString();
  });
  job.child.stderr?.on("data", (d: Buffer) => {
    said += d.toString();
  });
  await Promise.race([
    waitFor("the job to start", async () => said.includes(`job ${jobId} (demo) started`), 120_000),
    job.exit.then(({ code }) => {
      throw new Error(`berth run exited ${code} before the job started:\n${said}`);
    }),
  ]);
  return { job, said: () => said };
}

/** `berth <args> --json` to its end: the savepoint it answers with. */
async function command(args: string[]): Promise<string> {
  const { code, output } = await runBerth([...args, "--json"], env, REPO).exit;
  if (code !== 0) throw new Error(`berth ${args.join(" ")} exited ${code}: ${output}`);
  const answer = output.split("\n").find((line) => line.startsWith("{"));
  return (JSON.parse(answer ?? "{}") as { savepoint: string }).savepoint;
}

/** From the job's log: milliseconds from the stop request reaching the job to FINISHED. */
function stopLatency(log: string, request: string): number {
  const time = (msg: string) => {
    const line = log.split("\n").find((l) => l.includes(`"msg":"${msg}"`));
    if (!line) throw new Error(`the job's log has no "${msg}" line:\n${log}`);
    return (JSON.parse(line) as { time: number }).time;
  };
  return time("job FINISHED") - time(request);
}

const committed = async () => (await targetSeqs("files", targets.files)).length;
const moreThan = (n: number) =>
  waitFor(`more than ${n} records committed`, async () => (await committed()) > n, 120_000);

interface Row {
  readonly target: string;
  readonly recordsIn: number;
  readonly committed: number;
  readonly duplicated: number;
  readonly lost: number;
}

/** A sequence target: every seq below `recordsIn` once. */
async function sequenceRow(kind: TargetKind, recordsIn: number): Promise<Row> {
  const seqs = await targetSeqs(kind, targets[kind]);
  const distinct = new Set(seqs);
  const below = [...distinct].filter((s) => s >= 0 && s < recordsIn).length;
  return {
    target: `${kind} ${kind === "files" ? "sequence" : targets[kind]}`,
    recordsIn,
    committed: seqs.length,
    duplicated: seqs.length - distinct.size,
    lost: recordsIn - below,
  };
}

/** The windows: each (customer, window) once, holding exactly the orders below `recordsIn` of its window. */
function windowsRow(rows: readonly WindowTotals[], recordsIn: number): Row {
  const expected = expectedTotals(recordsIn);
  const seen = new Map<string, number>();
  let duplicated = 0;
  for (const r of rows) {
    const key = windowKey(r.key, r.windowStart);
    if (seen.has(key)) duplicated += r.result.orders;
    else seen.set(key, r.result.orders);
  }
  let lost = 0;
  for (const [key, totals] of expected) lost += Math.max(0, totals.orders - (seen.get(key) ?? 0));
  const committedOrders = rows.reduce((sum, r) => sum + r.result.orders, 0);
  return { target: "files windows (orders)", recordsIn, committed: committedOrders, duplicated, lost };
}

function table(rows: readonly Row[]): void {
  const header = ["target", "records in", "committed", "duplicated", "lost"];
  const cells = rows.map((r) => [r.target, r.recordsIn, r.committed, r.duplicated, r.lost].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)));
  const line = (c: readonly string[]) =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join("  ");
  console.log(line(header));
  for (const c of cells) console.log(line(c));
}

try {
  console.log(`Berth demo: job ${jobId}, output and checkpoints in ${work}`);
  for (const kind of extra) {
    await resetTarget(kind, targets[kind]);
    console.log(`    emptied ${kind} ${targets[kind]}`);
  }
  const first = await start([]);
  step(
    1,
    "start",
    `berth run examples/demo-pipeline.ts (pid ${first.job.child.pid}): 1000 records/s → ${kinds.join(", ")}; orders → 5 s windows → files`,
  );
  await moreThan(0);
  const taken = await command(["savepoint", jobId]);
  step(2, "savepoint", `taken while it runs: ${taken} (the job keeps running)`);
  await moreThan(await committed());
  const stop = await command(["stop", jobId]);
  await first.job.exit;
  const stopMs = stopLatency(first.said(), "stop requested");
  const atStop = await Promise.all(
    kinds.map(async (k) => `${k} ${(await targetSeqs(k, targets[k])).length}`),
  );
  const stopped = await sequenceRow("files", await committed());
  step(
    3,
    "stop",
    `suspended with savepoint ${stop} in ${stopMs} ms; committed when the stop returned: ${atStop.join(", ")} — seq 0..${stopped.recordsIn - 1}, ${stopped.lost} missing`,
  );
  const resumed = await start(["-s", stop]);
  step(
    4,
    "resume",
    `berth run -s <the stop's savepoint> (pid ${resumed.job.child.pid}): continues after seq ${stopped.recordsIn - 1}`,
  );
  await moreThan(stopped.recordsIn + 2000);
  resumed.job.child.kill("SIGKILL");
  await resumed.job.exit;
  step(
    5,
    "crash",
    `SIGKILL to pid ${resumed.job.child.pid} with ${await committed()} records committed: no stop, no savepoint, a transaction left open`,
  );
  const recovered = await start(["--from-latest"]);
  const from = /restoring job \S+ from (\S+)/.exec(recovered.said())?.[1] ?? "?";
  step(
    6,
    "recover",
    `berth run --from-latest (pid ${recovered.job.child.pid}): restored from the latest checkpoint ${from}`,
  );
  await moreThan((await committed()) + 1000);
  const drain = await command(["stop", jobId, "--drain"]);
  await recovered.job.exit;
  const drainMs = stopLatency(recovered.said(), "stop with drain requested");
  const windows = (await fileRecords(join(out, "windows"))) as WindowTotals[];
  const recordsIn = windows.reduce((sum, r) => sum + r.result.orders, 0);
  const partial = windows.filter((r) => r.result.orders < 20).length;
  step(
    7,
    "drain",
    `stopped with drain, savepoint ${drain} in ${drainMs} ms: the MAX watermark fired the open windows (${partial} partial)`,
  );

  console.log("\nSummary, counted by reading the targets (records in: the orders the windows hold):");
  const rows = [
    windowsRow(windows, recordsIn),
    ...(await Promise.all(kinds.map((k) => sequenceRow(k, recordsIn)))),
  ];
  table(rows);
  const savepoints = [taken, stop, drain].filter((path) => existsSync(join(path, "_metadata")));
  console.log(`savepoints taken  ${savepoints.length} (savepoint, stop, stop --drain)`);
  console.log(
    `stop latency      suspend ${stopMs} ms, drain ${drainMs} ms (from the request reaching the job to FINISHED, by its log)`,
  );
  if (
    savepoints.length !== 3 ||
    rows.some((r) => r.duplicated !== 0 || r.lost !== 0 || r.committed !== r.recordsIn)
  ) {
    console.error("berth demo: the output is not exactly-once (see the table)");
    process.exitCode = 1;
  } else {
    console.log("exactly-once: every record committed once, across savepoint, stop, crash and drain");
  }
} catch (error) {
  console.error(`berth demo: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  for (const child of children) child.child.kill("SIGKILL");
  await sleep(0);
  if (!flags.work) rmSync(work, { recursive: true, force: true });
}
