/**
 * `examples/sequence-to-s3.ts` through the `berth` CLI (DESIGN.md's sequence contract): it
 * creates its bucket; a listing of the prefix taken over and over while it runs never shows a
 * partial object or one that later changes or vanishes (only committed objects are visible);
 * SIGKILLed mid-run and restored with `--from-latest`, the bucket holds every seq once and no
 * multipart upload is left. Everything is read with the S3 SDK on a client of the test's own.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BerthProcess, runBerth } from "@berth/testkit";
import { serviceEndpoints } from "@berth/testkit/services";
import { afterAll, describe, expect, it } from "vitest";
import {
  committedSeqs,
  listObjects,
  openUploads,
  range,
  readObject,
  S3PROXY_WRITE_IN_PROGRESS,
  testClient,
} from "./test-support.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));

const client = testClient();
afterAll(() => client.destroy());

function berth(args: string[], env: Record<string, string>): BerthProcess {
  return runBerth(args, env, REPO);
}

/** Seqs of one object, which must be whole JSON lines ending in a newline. */
function seqsOf(text: string, key: string): number[] {
  expect(text.endsWith("\n"), `${key} ends mid-line`).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => (JSON.parse(line) as { seq: number }).seq);
}

describe("berth run examples/sequence-to-s3.ts", () => {
  it("creates its bucket; listings while it runs show only whole, final objects; SIGKILL + --from-latest leave every seq once", async () => {
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const at = { endpoint: serviceEndpoints().s3.endpoint, bucket: `berth-e2e-${id}`, base: "sequence" };
    const checkpointDir = await mkdtemp(join(tmpdir(), "berth-s3-e2e-"));
    const env = {
      S3_ENDPOINT: at.endpoint,
      S3_BUCKET: at.bucket,
      S3_PREFIX: at.base,
      SEQ_COUNT: "6000",
      SEQ_RATE: "2000",
      SEQ_PARALLELISM: "2",
    };
    const args = [
      "run",
      "examples/sequence-to-s3.ts",
      "--job-id",
      `s3-e2e-${id}`,
      "--checkpoint-dir",
      checkpointDir,
      "--checkpoint-interval",
      "200",
    ];
    const first = berth(args, env);
    let running = true;
    void first.exit.then(() => {
      running = false;
    });
    // Every object ever listed, with the size and seqs it had when first seen.
    const seen = new Map<string, { size: number; seqs: number[] }>();
    let visible = 0;
    const deadline = Date.now() + 60_000;
    while (running && visible < 1000 && Date.now() < deadline) {
      const listed = await listObjects(client, at).catch(() => []);
      for (const { key, size } of listed) {
        if (S3PROXY_WRITE_IN_PROGRESS.test(key)) continue;
        const before = seen.get(key);
        if (before) {
          expect(size, `${key} changed size`).toBe(before.size);
          continue;
        }
        const bytes = await readObject(client, at.bucket, key);
        expect(bytes.length, `${key} listed with another size than it reads`).toBe(size);
        const seqs = seqsOf(bytes.toString("utf8"), key);
        seen.set(key, { size, seqs });
        visible += seqs.length;
      }
    }
    first.child.kill("SIGKILL");
    const killed = await first.exit;
    expect(killed.code, killed.output).toBeNull();
    expect(visible).toBeGreaterThan(0);
    expect(visible).toBeLessThan(6000);

    const restored = await berth([...args, "--from-latest"], env).exit;
    expect(restored.code, restored.output).toBe(0);
    const final = new Map((await listObjects(client, at)).map((o) => [o.key, o.size]));
    expect([...final.keys()].filter((key) => S3PROXY_WRITE_IN_PROGRESS.test(key))).toEqual([]);
    // Nothing seen while the job ran was partial, replaced or taken back.
    for (const [key, { size }] of seen) expect(final.get(key), `${key} changed or vanished`).toBe(size);
    expect((await committedSeqs(client, at)).sort((a, b) => a - b)).toEqual(range(0, 6000));
    expect(await openUploads(client, at, "")).toEqual([]);
  }, 120_000);
});
