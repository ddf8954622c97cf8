/**
 * Only the owner controls a job (issue 10, item 8), against a real `berth run` child: its
 * registry entry (mode 0600) holds a generated token, which is in no process's arguments and
 * no output; a request without it is refused (401, nothing done) while `berth stop`, which
 * reads the entry, works; a DNS-rebinding Host is refused; `--no-auth` turns the token off.
 */
import { readFileSync, statSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { waitFor } from "../test-support.js";
import { berth, environment, runArgs, start, started } from "./cli-test-support.js";
import { ExitCode } from "./exit-codes.js";

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request({ host: "127.0.0.1", port, path, headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    r.on("error", reject);
    r.end();
  });
}

function post(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request({ host: "127.0.0.1", port, path, method: "POST" }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    r.on("error", reject);
    r.end("{}");
  });
}

describe("the control plane's bearer token", () => {
  it("is generated per job and kept in the 0600 registry entry; a request without it is refused while berth stop works", async () => {
    const env = environment("auth");
    const running = start(env, runArgs(env, "auth"));
    await started(running, env, 1);
    const entryFile = join(env.home, "jobs", "auth.json");
    expect(statSync(entryFile).mode & 0o777).toBe(0o600);
    const entry = JSON.parse(readFileSync(entryFile, "utf8")) as { port: number; token: string };
    expect(entry.token.length).toBeGreaterThanOrEqual(32);
    const argv = readFileSync(`/proc/${running.child.pid}/cmdline`, "utf8");
    expect(argv).not.toContain(entry.token);

    expect(await post(entry.port, "/jobs/auth/stop")).toBe(401);
    expect(await get(entry.port, "/jobs/auth")).toBe(401);
    expect(await get(entry.port, "/metrics")).toBe(401);
    expect(await get(entry.port, "/healthz")).toBe(200);
    const withToken = { authorization: `Bearer ${entry.token}` };
    expect(await get(entry.port, "/jobs/auth", { ...withToken, host: `rebound.example:${entry.port}` })).toBe(
      403,
    );
    expect(await get(entry.port, "/jobs/auth", withToken)).toBe(200);

    const list = await berth(env, ["list", "--json"]);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ jobId: "auth", state: "RUNNING" })]);
    const stop = await berth(env, ["stop", "auth", "--json"]);
    expect(stop.code, stop.stderr).toBe(ExitCode.OK);
    expect(await running.exited).toBe(ExitCode.OK);
    for (const output of [running.stdout, running.stderr, stop.stdout, list.stdout])
      expect(output).not.toContain(entry.token);
  });

  it("--no-auth turns it off", async () => {
    const env = environment("no-auth");
    const running = start(env, runArgs(env, "noauth", "--no-auth"));
    await waitFor(() => running.stdout.includes("started"), "the job to start", 60_000);
    const entry = JSON.parse(readFileSync(join(env.home, "jobs", "noauth.json"), "utf8")) as {
      port: number;
      token?: string;
    };
    expect(entry.token).toBeUndefined();
    expect(await get(entry.port, "/jobs/noauth")).toBe(200);
    const stop = await berth(env, ["stop", "noauth"]);
    expect(stop.code, stop.stderr).toBe(ExitCode.OK);
    expect(await running.exited).toBe(ExitCode.OK);
  });
});
