/**
 * `berth run --metrics-address HOST:PORT` against a real `berth run` child: GET /metrics and
 * GET /healthz answer there without a token and from any Host (a scraper or a kubelet on the
 * pod's address); every other path and method is a 404 and does nothing (the job keeps running
 * and `berth stop` still finds it); the REST API on 127.0.0.1 still needs its token. A bad or
 * taken address is exit 2 with one line.
 */
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { berth, environment, runArgs, start, started, stderrLines } from "./cli-test-support.js";
import { ExitCode } from "./exit-codes.js";

interface Answer {
  readonly status: number;
  readonly body: string;
}

function call(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const r = request(
      { host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers ?? {} },
      (response) => {
        let body = "";
        response.on("data", (d: Buffer) => {
          body += d.toString();
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    r.on("error", reject);
    r.end(options.method === "POST" ? "{}" : undefined);
  });
}

const METRICS_LINE = /metrics and health on http:\/\/0\.0\.0\.0:(\d+) /;

describe("berth run --metrics-address", () => {
  it("serves only /metrics and /healthz, without a token, while the REST API keeps its token", async () => {
    const env = environment("metrics-address");
    const running = start(env, runArgs(env, "maddr", "--metrics-address", "0.0.0.0:0"));
    await started(running, env, 1);
    const port = Number(METRICS_LINE.exec(running.stdout)?.[1]);
    expect(port, running.stdout).toBeGreaterThan(0);
    const podHost = { host: `10.1.2.3:${port}` };

    const metrics = await call(port, "/metrics", { headers: podHost });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^berth_job_state\{state="RUNNING",job_id="maddr",pipeline="[^"]+"\} 1$/m);
    expect(metrics.body).toMatch(/^berth_operator_records_in_total\{[^}]*operator="files"[^}]*\} [1-9]/m);
    const health = await call(port, "/healthz", { headers: podHost });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: "ok", state: "RUNNING" });

    for (const [method, path] of [
      ["GET", "/"],
      ["GET", "/jobs"],
      ["GET", "/jobs/maddr"],
      ["GET", "/jobs/overview"],
      ["GET", "/dashboard.css"],
      ["POST", "/jobs/maddr/stop"],
      ["POST", "/jobs/maddr/savepoints"],
      ["PATCH", "/jobs/maddr"],
      ["POST", "/metrics"],
      ["POST", "/ui/codes"],
    ] as const)
      expect((await call(port, path, { method })).status, `${method} ${path}`).toBe(404);

    const entry = JSON.parse(readFileSync(join(env.home, "jobs", "maddr.json"), "utf8")) as {
      port: number;
      token: string;
    };
    expect(entry.port).not.toBe(port);
    expect((await call(entry.port, "/metrics")).status).toBe(401);
    expect((await call(entry.port, "/jobs/maddr")).status).toBe(401);
    const withToken = { authorization: `Bearer ${entry.token}` };
    expect((await call(entry.port, "/metrics", { headers: withToken })).status).toBe(200);
    expect((await call(entry.port, "/jobs/maddr", { headers: { ...withToken, ...podHost } })).status).toBe(
      403,
    );

    // None of the 404s stopped or canceled anything: the job still runs, and berth stop ends it.
    expect(JSON.parse((await call(port, "/healthz")).body)).toEqual({ status: "ok", state: "RUNNING" });
    const stop = await berth(env, ["stop", "maddr", "--json"]);
    expect(stop.code, stop.stderr).toBe(ExitCode.OK);
    expect(await running.exited).toBe(ExitCode.OK);
    await expect(call(port, "/healthz")).rejects.toThrow(/ECONNREFUSED/);
  });

  it("refuses a value that is not HOST:PORT, and a taken port, with exit 2 and one line", async () => {
    const env = environment("metrics-address-bad");
    const bad = await berth(env, runArgs(env, "maddr-bad", "--metrics-address", "9249"));
    expect(bad.code).toBe(ExitCode.USAGE);
    expect(stderrLines(bad)).toEqual([
      expect.stringMatching(/^berth: .*--metrics-address.*is not HOST:PORT/),
    ]);

    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const takenPort = (taken.address() as { port: number }).port;
    try {
      const busy = await berth(
        env,
        runArgs(env, "maddr-busy", "--metrics-address", `127.0.0.1:${takenPort}`),
      );
      expect(busy.code).toBe(ExitCode.USAGE);
      expect(stderrLines(busy)).toEqual([
        expect.stringMatching(/^berth: --metrics-address .*already in use \(EADDRINUSE\)/),
      ]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
