/**
 * A job moves between machines with its checkpoints on S3 (issue 14, ADR 0018), through the real
 * `berth` CLI. Each copy has its own working directory, BERTH_HOME and TMPDIR: a second copy
 * started while the first lives is refused by the job's S3 lease (exit 9); the first is
 * SIGKILLed and its directories deleted; once its lease expired the job resumes with
 * `--from-latest` — in a mount namespace of its own whose /tmp is empty, so nothing of the first's
 * machine but S3 is visible — and every record is in the bucket once. A paused owner (SIGSTOP) whose lease was taken over fences itself on SIGCONT:
 * it writes no `_metadata` and ends failed. Verdicts come from the test's own S3 client.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  berth,
  berthDone,
  berthDoneVia,
  committedRecords,
  completeCheckpoints,
  expectExactlyOnce,
  FIXTURE,
  freshPlace,
  killLeftovers,
  leaseOf,
  type Place,
  REPO,
  savepointIn,
  waitFor,
} from "./internal/checkpoint-store/cli-test-support.js";
import { testClient } from "./test-support.js";

const client = testClient();
afterAll(() => client.destroy());
afterEach(killLeftovers);

const COUNT = 8_000;
const FIXTURE_PATH = join(REPO, FIXTURE);

/** A machine of its own: a working directory, a BERTH_HOME and a TMPDIR. */
function machine(place: Place, name: string) {
  const root = mkdtempSync(join(tmpdir(), `berth-move-${name}-`));
  for (const d of ["work", "home", "tmp"]) mkdirSync(join(root, d));
  return {
    root,
    cwd: join(root, "work"),
    env: { ...place.env, BERTH_HOME: join(root, "home"), TMPDIR: join(root, "tmp"), SEQ_RATE: "100" },
  };
}

const runArgs = (jobId: string, place: Place, ...more: string[]) => [
  "run",
  FIXTURE_PATH,
  "--job-id",
  jobId,
  "--checkpoint-dir",
  `${place.root}/chk`,
  "--checkpoint-interval",
  "300",
  "--state-backend",
  "sqlite",
  ...more,
];

describe("a job moves between machines on S3 checkpoints", () => {
  it("refused while the first lives; once its lease expired, resumed from S3 alone in a private mount namespace: every record once", async () => {
    const place = await freshPlace(client, "moves");
    const jobId = "s3-moves";
    const a = machine(place, "a");
    const first = berth(runArgs(jobId, place), a.env, a.cwd);
    await waitFor(
      async () => (await completeCheckpoints(client, place, jobId, 1)).length > 0,
      "a checkpoint on S3",
    );

    // The first renews its lease: a second copy meets a live owner.
    const taken = await leaseOf(client, place, jobId);
    await waitFor(
      async () => ((await leaseOf(client, place, jobId))?.expiresAt ?? 0) > (taken?.expiresAt ?? 0),
      "a renewal of the lease",
    );
    const b = machine(place, "b");
    const second = await berthDone(runArgs(jobId, place, "--from-latest"), b.env);
    expect(second.code, second.output).toBe(9);
    expect(second.output).toContain(`job id ${jobId} is in use`);
    expect(second.output).toContain(`${place.root}/chk/${jobId}/_lease`);

    first.child.kill("SIGKILL");
    await first.exit;
    rmSync(a.root, { recursive: true, force: true });
    const lease = await leaseOf(client, place, jobId);
    expect(lease).toBeDefined();
    await waitFor(() => Date.now() > (lease?.expiresAt ?? 0), "the dead owner's lease to expire");

    // The resumed copy sees an empty /tmp of its own: its home, TMPDIR and working directory are in
    // it. The program itself (this checkout, which may live under /tmp, as a CI clone does) is
    // carried over: bound to /mnt first, then back to its own path inside the new /tmp.
    const script = [
      `mount --bind "${REPO}" /mnt`,
      "mount -t tmpfs tmpfs /tmp",
      `mkdir -p "${REPO}"`,
      `mount --bind /mnt "${REPO}"`,
      "mkdir -p /tmp/b/home /tmp/b/tmp /tmp/b/work",
      "cd /tmp/b/work",
      `exec "${process.execPath}" "${join(REPO, "packages/core/bin/berth.mjs")}" "$@"`,
    ].join(" && ");
    const resumed = await berthDoneVia(
      ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"],
      runArgs(jobId, place, "--from-latest"),
      {
        ...b.env,
        BERTH_HOME: "/tmp/b/home",
        TMPDIR: "/tmp/b/tmp",
        SEQ_COUNT: String(COUNT),
        SEQ_RATE: "20000",
      },
    );
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toMatch(
      new RegExp(`restoring job ${jobId} from ${place.root}/chk/${jobId}/run-1/chk-\\d+`),
    );
    rmSync(b.root, { recursive: true, force: true });
    expectExactlyOnce(await committedRecords(client, place), COUNT);
  }, 420_000);

  it("a paused owner whose lease was taken over writes no _metadata once resumed and ends failed; every record once", async () => {
    const place = await freshPlace(client, "paused");
    const jobId = "s3-paused";
    const a = machine(place, "a");
    const first = berth(runArgs(jobId, place), a.env, a.cwd);
    await waitFor(
      async () => (await completeCheckpoints(client, place, jobId, 1)).length > 0,
      "a checkpoint on S3",
    );
    first.child.kill("SIGSTOP");
    const lease = await leaseOf(client, place, jobId);
    await waitFor(() => Date.now() > (lease?.expiresAt ?? 0), "the paused owner's lease to expire");

    const b = machine(place, "b");
    const second = berth(runArgs(jobId, place, "--from-latest"), b.env, b.cwd);
    await waitFor(
      async () => (await completeCheckpoints(client, place, jobId, 2)).length > 0,
      "run 2's checkpoint",
    );
    const before = await completeCheckpoints(client, place, jobId, 1);
    first.child.kill("SIGCONT");
    const fenced = await first.exit;
    expect(fenced.code, fenced.output).toBe(1);
    // The job's lease (or, first, the sink's prefix lease) says it was taken over.
    expect(fenced.output).toMatch(/taken over/);
    expect(await completeCheckpoints(client, place, jobId, 1)).toEqual(before);

    const stop = await berthDone(["stop", jobId], b.env);
    expect(stop.code, stop.output).toBe(0);
    expect((await second.exit).code).toBe(0);
    const finish = await berthDone(runArgs(jobId, place, "-s", savepointIn(stop.output)), {
      ...b.env,
      SEQ_COUNT: String(COUNT),
      SEQ_RATE: "20000",
    });
    expect(finish.code, finish.output).toBe(0);
    for (const m of [a, b]) rmSync(m.root, { recursive: true, force: true });
    expectExactlyOnce(await committedRecords(client, place), COUNT);
  }, 420_000);
});
