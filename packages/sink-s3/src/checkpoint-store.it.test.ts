/**
 * Checkpoints and savepoints on S3 (`@berth/sink-s3/checkpoint-store`, ADR 0018) through the real
 * `berth` CLI against the services' S3 server, endpoint and credentials from the AWS environment:
 * `--checkpoint-dir s3://…`, `berth savepoint s3://…`, `berth stop -p s3://…`, `berth info s3://…`,
 * `-s s3://…` and `--from-latest`, for both state backends and both savepoint formats. What the
 * bucket holds is read with the test's own S3 client: records exactly once with their keyed
 * counts continuing, a NO_CLAIM savepoint byte-for-byte unchanged, a CLAIMed one deleted once
 * subsumed, a changed object refused by its checksum, and the secret nowhere.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  berth,
  berthDone,
  committedRecords,
  completeCheckpoints,
  expectExactlyOnce,
  FIXTURE,
  freshPlace,
  killLeftovers,
  leaseOf,
  objects,
  outputs,
  readText,
  SECRET,
  savepointIn,
  waitFor,
  writeText,
} from "./internal/checkpoint-store/cli-test-support.js";
import { testClient } from "./test-support.js";

const client = testClient();
afterAll(() => client.destroy());
afterEach(killLeftovers);

const run = (jobId: string, root: string, ...more: string[]) => [
  "run",
  FIXTURE,
  "--job-id",
  jobId,
  "--checkpoint-dir",
  `${root}/chk`,
  "--checkpoint-interval",
  "300",
  ...more,
];

/** Records in all: more than the stopped runs reach, which the last run then writes quickly. */
const COUNT = 8_000;

/** The key of a savepoint location under the bucket. */
const keyOf = (location: string) => location.replace(/^s3:\/\/[^/]+\//, "");

describe("checkpoint storage on S3 through the berth CLI", () => {
  it("memory backend, canonical: berth savepoint and stop -p to S3, info, NO_CLAIM untouched, a changed object refused, --from-latest with CLAIM deletes the subsumed savepoint; every record once; no secret anywhere", async () => {
    const place = await freshPlace(client, "memory");
    const jobId = "s3-chk-memory";
    // Unbounded while it is stopped, then fast to an end (neither is part of the state).
    const env = { ...place.env, SEQ_RATE: "100" };
    const toTheEnd = { ...env, SEQ_COUNT: String(COUNT), SEQ_RATE: "20000" };

    // Run 1: fresh; a savepoint while it runs, then a stop with a savepoint to S3.
    const first = berth(run(jobId, place.root), env);
    await waitFor(
      async () => (await completeCheckpoints(client, place, jobId, 1)).length > 0,
      "a checkpoint on S3",
    );
    // `berth savepoint DIR` to S3, followed through the control plane's REST answers.
    const live = await berthDone(["savepoint", jobId, `${place.root}/live`, "--detached", "--json"], env);
    expect(live.code, live.output).toBe(0);
    const { triggerId } = JSON.parse(live.output.split("\n").find((l) => l.startsWith("{")) as string);
    const entry = JSON.parse(readFileSync(join(place.home, "jobs", `${jobId}.json`), "utf8"));
    const rest = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${entry.port}${path}`, {
        headers: { authorization: `Bearer ${entry.token}` },
      });
      const text = await response.text();
      outputs.push(text);
      return JSON.parse(text);
    };
    let operation: { status: { id: string }; operation?: { location?: string } } = { status: { id: "" } };
    await waitFor(async () => {
      operation = await rest(`/jobs/${jobId}/savepoints/${triggerId}`);
      if (!operation.status) throw new Error(`REST answered ${JSON.stringify(operation)} (${live.output})`);
      return operation.status.id === "COMPLETED";
    }, "the savepoint to complete");
    expect(operation.operation?.location?.startsWith(`${place.root}/live/savepoint-`)).toBe(true);
    expect(await rest(`/jobs/${jobId}`)).toMatchObject({ jid: jobId });
    const liveKey = keyOf(operation.operation?.location as string);
    expect([...(await objects(client, place.bucket, liveKey)).keys()]).toContain("_metadata");
    const stop = await berthDone(["stop", jobId, "-p", `${place.root}/sp`], env);
    expect(stop.code, stop.output).toBe(0);
    expect((await first.exit).code).toBe(0);
    const sp1 = savepointIn(stop.output);
    // Released at the end: the object is gone.
    expect(await leaseOf(client, place, jobId)).toBeUndefined();

    const info = await berthDone(["info", sp1, "--json"], env);
    expect(info.code, info.output).toBe(0);
    const summary = JSON.parse(info.output.split("\n").find((l) => l.startsWith("{")) as string);
    expect(summary).toMatchObject({ path: sp1, kind: "savepoint", stop: "suspend", claimed: false, jobId });
    // A savepoint no longer needed is disposed of in S3 too.
    const disposed = await berthDone(["savepoint", "--dispose", `s3://${place.bucket}/${liveKey}`], env);
    expect(disposed.code, disposed.output).toBe(0);
    expect((await objects(client, place.bucket, liveKey)).size).toBe(0);

    // Run 2: from the savepoint, NO_CLAIM (the default): it stays byte-for-byte as it was.
    const before = await objects(client, place.bucket, keyOf(sp1));
    expect([...before.keys()]).toContain("_metadata");
    const second = berth(run(jobId, place.root, "-s", sp1), env);
    await waitFor(
      async () => (await completeCheckpoints(client, place, jobId, 2)).length > 0,
      "run 2's checkpoint",
    );
    const stop2 = await berthDone(["stop", jobId], env);
    expect(stop2.code, `${stop2.output}\n${second.output()}`).toBe(0);
    expect((await second.exit).code).toBe(0);
    const sp2 = savepointIn(stop2.output);
    expect(sp2.startsWith(`${place.root}/chk/savepoints/savepoint-`)).toBe(true);
    expect(await objects(client, place.bucket, keyOf(sp1))).toEqual(before);

    // A changed state file of sp1 (same size) is caught by its checksum: the restore is refused (exit 6).
    const stateFile = [...before.keys()].find((k) => k.startsWith("count-") && k.endsWith(".state.json"));
    const changedKey = `${keyOf(sp1)}/${stateFile}`;
    const original = await readText(client, place.bucket, changedKey);
    await writeText(client, place.bucket, changedKey, original.replace('"operatorState"', '"operatorStatf"'));
    const refused = await berthDone(run(`${jobId}-other`, place.root, "-s", sp1), env);
    expect(refused.code, refused.output).toBe(6);
    expect(refused.output).toContain(`${sp1}/${stateFile} does not match its SHA-256 in _metadata`);

    // Run 3: --from-latest restores sp2 (the newest of the lineage) with CLAIM, runs to the end.
    const sp2Key = keyOf(sp2);
    expect((await objects(client, place.bucket, sp2Key)).size).toBeGreaterThan(0);
    const third = await berthDone(run(jobId, place.root, "--from-latest", "--claim-mode", "claim"), toTheEnd);
    expect(third.code, third.output).toBe(0);
    expect(third.output).toContain(`restoring job ${jobId} from ${sp2}`);
    expect((await objects(client, place.bucket, sp2Key)).size).toBe(0);
    // Retention: run 3 keeps its newest complete checkpoint only (retainedCheckpoints 1).
    expect((await completeCheckpoints(client, place, jobId, 3)).length).toBe(1);

    expectExactlyOnce(await committedRecords(client, place), COUNT);

    // The secret is in no output, no _metadata, no lineage record.
    for (const output of outputs) expect(output).not.toContain(SECRET);
    const chk = await objects(client, place.bucket, `${place.base}/chk`);
    const written = [...chk.keys()].filter((k) => k.endsWith("_metadata") || k.includes("_lineage/"));
    expect(written.length).toBeGreaterThan(3);
    for (const key of written)
      expect(await readText(client, place.bucket, `${place.base}/chk/${key}`)).not.toContain(SECRET);
  }, 420_000);

  it("sqlite backend: incremental checkpoints with shared chunks on S3, SIGKILL, --from-latest after the lease expired, a native stop savepoint to S3 restored into sqlite; every record once", async () => {
    const place = await freshPlace(client, "sqlite");
    const jobId = "s3-chk-sqlite";
    // Unbounded while it is killed and stopped, then fast to an end (neither is part of the state).
    const env = { ...place.env, SEQ_RATE: "100" };
    const args = (...more: string[]) => run(jobId, place.root, "--state-backend", "sqlite", ...more);

    const first = berth(args(), env);
    await waitFor(
      async () => (await completeCheckpoints(client, place, jobId, 1)).length > 0,
      "a checkpoint on S3",
    );
    await waitFor(
      async () =>
        [...(await objects(client, place.bucket, `${place.base}/chk/${jobId}/shared`)).keys()].length > 0,
      "shared chunks on S3",
    );
    first.child.kill("SIGKILL");
    await first.exit;

    // The dead owner's lease blocks until it expires; then the job resumes from its newest checkpoint.
    const lease = await leaseOf(client, place, jobId);
    expect(lease).toBeDefined();
    await waitFor(() => Date.now() > (lease?.expiresAt ?? 0), "the lease to expire");
    const second = berth(args("--from-latest"), env);
    await waitFor(
      async () => (await completeCheckpoints(client, place, jobId, 2)).length > 0,
      "run 2's checkpoint",
    );
    expect(second.output()).toMatch(
      new RegExp(`restoring job ${jobId} from ${place.root}/chk/${jobId}/run-1/chk-\\d+`),
    );
    const stop = await berthDone(["stop", jobId, "-p", `${place.root}/native`, "--type", "native"], env);
    expect(stop.code, stop.output).toBe(0);
    expect((await second.exit).code).toBe(0);
    const native = savepointIn(stop.output);
    const nativeFiles = [...(await objects(client, place.bucket, keyOf(native))).keys()];
    expect(nativeFiles.filter((k) => k.endsWith(".sqlite")).length).toBe(2);
    const metadata = JSON.parse(await readText(client, place.bucket, `${keyOf(native)}/_metadata`));
    expect(metadata).toMatchObject({ format: "native", backend: "sqlite" });

    const third = await berthDone(args("-s", native), {
      ...env,
      SEQ_COUNT: String(COUNT),
      SEQ_RATE: "20000",
    });
    expect(third.code, third.output).toBe(0);
    expectExactlyOnce(await committedRecords(client, place), COUNT);
  }, 420_000);
});
