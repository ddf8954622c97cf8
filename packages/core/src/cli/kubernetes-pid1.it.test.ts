/**
 * The container of deploy/kubernetes/statefulset.yaml, as far as a machine without Kubernetes can
 * run it: its command and arguments, with the real CLI as PID 1 of a PID namespace of its own
 * (`unshare --pid --fork --mount-proc`, root, as a container runtime starts it), the example
 * pipeline for its pipeline and a local checkpoint directory for its s3:// one. /healthz answers on
 * the --metrics-address port; the kubelet's SIGTERM to PID 1 stops the job with a savepoint and
 * exit 0; the same arguments again resume from that savepoint (--from-latest); every record once.
 */
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { committedSeqs, duplicates, range, waitFor } from "../test-support.js";
import { bin, type Env, environment, example, type Running, startCommand } from "./cli-test-support.js";
import { ExitCode } from "./exit-codes.js";
import { kubernetesJob } from "./kubernetes-test-support.js";

const canUnshare = process.getuid?.() === 0 && existsSync("/usr/bin/unshare");

function containerArgs(env: Env): string[] {
  const args = [...kubernetesJob().args];
  args[1] = example; // the pipeline module
  args[args.indexOf("--checkpoint-dir") + 1] = env.chk;
  args[args.indexOf("--metrics-address") + 1] = "0.0.0.0:0";
  return args;
}

/** `berth` as PID 1 of a new PID namespace; `unshare --fork` waits for it and exits with its code. */
function startAsPid1(env: Env, args: string[]): Running {
  return startCommand(env, "unshare", ["--pid", "--fork", "--mount-proc", process.execPath, bin, ...args]);
}

/** The host pid of unshare's one child: the namespace's PID 1. */
function pid1Of(running: Running): number {
  const pid = running.child.pid as number;
  return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim());
}

function healthz(port: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const r = request({ host: "127.0.0.1", port, path: "/healthz" }, (response) => {
      let body = "";
      response.on("data", (d: Buffer) => {
        body += d.toString();
      });
      response.on("end", () => resolve(JSON.parse(body)));
    });
    r.on("error", reject);
    r.end();
  });
}

async function runUntilSigterm(env: Env, commits: number): Promise<Running> {
  const running = startAsPid1(env, containerArgs(env));
  await waitFor(
    () => running.stdout.includes("started"),
    `the job to start (stderr: ${running.stderr})`,
    60_000,
  );
  const port = Number(/metrics and health on http:\/\/0\.0\.0\.0:(\d+) /.exec(running.stdout)?.[1]);
  expect(await healthz(port)).toEqual({ status: "ok", state: "RUNNING" });
  const before = committedSeqs(env.out).length;
  await waitFor(() => committedSeqs(env.out).length >= before + commits, "commits", 60_000);
  const pid1 = pid1Of(running);
  expect(readFileSync(`/proc/${pid1}/status`, "utf8")).toMatch(/^NSpid:\s+\d+\s+1$/m);
  process.kill(pid1, "SIGTERM");
  expect(await running.exited, running.stderr).toBe(ExitCode.OK);
  return running;
}

describe.skipIf(!canUnshare)("the Kubernetes container's berth run as PID 1", () => {
  it("stops with a savepoint on SIGTERM and resumes from it with the same arguments", async () => {
    const env = environment("k8s-pid1");
    const first = await runUntilSigterm(env, 2);
    expect(first.stdout).toContain("SIGTERM: stopping job orders with a savepoint");
    const savepoint = /job orders FINISHED; savepoint: (\S+)/.exec(first.stdout)?.[1] as string;
    expect(savepoint.startsWith(join(env.chk, "savepoints"))).toBe(true);
    expect(existsSync(join(savepoint, "_metadata"))).toBe(true);
    const afterFirst = committedSeqs(env.out).length;

    const second = await runUntilSigterm(env, 2);
    expect(second.stdout).toContain(`restoring job orders from ${savepoint}`);
    const seqs = committedSeqs(env.out);
    expect(seqs.length).toBeGreaterThan(afterFirst);
    expect(duplicates(seqs)).toEqual([]);
    expect([...seqs].sort((a, b) => a - b)).toEqual(range(0, seqs.length));
  });
});
