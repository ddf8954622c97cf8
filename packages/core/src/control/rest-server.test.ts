/**
 * The REST control plane against a real job: two concurrent stops (one wins, the other is
 * told why), a stop of a finished or unknown job, idempotent trigger ids, native savepoints,
 * the bearer token on every route but /healthz, loopback Host/Origin only, Flink's body keys
 * (cancel-job runs as a stop), unknown keys and oversized bodies refused.
 */
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { countingPipeline } from "../checkpoint/savepoint-test-support.js";
import { fileSink } from "../file-sink/file-sink.js";
import { Job } from "../job.js";
import {
  committedFiles,
  Gate,
  instrumentedSink,
  readMetadata,
  waitFor,
  workDirectory,
} from "../test-support.js";
import { MAX_BODY_BYTES, startRestServer } from "./rest-server.js";

interface Status {
  status: { id: "IN_PROGRESS" | "COMPLETED" };
  phase: string;
  operation?: { location?: string; "failure-cause"?: { code: string; message: string } };
}

function client(port: number, token?: string) {
  const call = async (method: string, path: string, body?: unknown, auth = token) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      body: (await response.json().catch(() => ({}))) as Record<string, unknown>,
    };
  };
  const until = async (jobId: string, triggerId: string): Promise<Status> => {
    while (true) {
      const { body } = await call("GET", `/jobs/${jobId}/savepoints/${triggerId}`);
      if ((body as unknown as Status).status.id === "COMPLETED") return body as unknown as Status;
      await sleep(20);
    }
  };
  return { call, until };
}

function setup(options: { backend?: "memory" | "sqlite"; gate?: Gate; token?: string } = {}) {
  const work = workDirectory("rest");
  const out = join(work, "out");
  const throttle = { allowed: Number.POSITIVE_INFINITY, emitted: 0 };
  const gate = options.gate;
  const sink = fileSink<{ seq: number; count: number }>({ directory: out });
  const job = new Job(
    countingPipeline({
      out,
      throttle,
      sink: gate
        ? instrumentedSink(sink, {
            async commit(c, commit) {
              await gate.pass();
              return commit(c);
            },
          })
        : sink,
    }),
    {
      checkpointDirectory: join(work, "chk"),
      checkpointIntervalMs: 40,
      stateBackend: options.backend ?? "memory",
    },
  );
  return { work, out, throttle, job };
}

describe("REST control plane", () => {
  it("two concurrent stop requests: one wins, the other is told a stop is in progress", async () => {
    const gate = new Gate();
    const { job, out } = setup({ gate });
    const server = await startRestServer(job, { token: false });
    const { call, until } = client(server.port);
    const run = job.run();
    await waitFor(() => committedFiles(out).length >= 1 && job.state === "RUNNING", "a commit");
    gate.close(); // the winner's synchronous commits wait here, so both requests meet a stop in progress
    const [a, b] = await Promise.all([
      call("POST", `/jobs/${job.jobId}/stop`, { drain: false, triggerId: "stop-a" }),
      call("POST", `/jobs/${job.jobId}/stop`, { drain: true, triggerId: "stop-b" }),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const loserId = await (async () => {
      while (true) {
        for (const id of ["stop-a", "stop-b"]) {
          const { body } = await call("GET", `/jobs/${job.jobId}/savepoints/${id}`);
          if ((body as unknown as Status).status.id === "COMPLETED") return id;
        }
        await sleep(10);
      }
    })();
    const loser = await until(job.jobId, loserId);
    expect(loser.operation?.["failure-cause"]?.code).toBe("STOP_REJECTED");
    expect(loser.operation?.["failure-cause"]?.message).toMatch(/already in progress/);
    gate.release();
    const winner = await until(job.jobId, loserId === "stop-a" ? "stop-b" : "stop-a");
    expect(winner.operation?.location).toMatch(/savepoint-/);
    expect((await run).state).toBe("FINISHED");
    // The job is gone: a third stop is refused, saying why.
    const third = await call("POST", `/jobs/${job.jobId}/stop`, { drain: false });
    expect(third.status).toBe(409);
    expect(String((third.body.errors as string[])[0])).toContain("is FINISHED; there is nothing to stop");
    const unknown = await call("POST", "/jobs/no-such-job/stop", { drain: false });
    expect(unknown.status).toBe(404);
    expect(String((unknown.body.errors as string[])[0])).toContain("no-such-job");
    await server.close(0);
  });

  it("a retried savepoint request with the same trigger id is one savepoint; NATIVE gives a native savepoint", async () => {
    const { job } = setup({ backend: "sqlite" });
    const server = await startRestServer(job, { token: false });
    const { call, until } = client(server.port);
    const run = job.run();
    await waitFor(() => job.state === "RUNNING", "RUNNING");
    const body = { formatType: "NATIVE", triggerId: "sp-1" };
    const first = await call("POST", `/jobs/${job.jobId}/savepoints`, body);
    const retry = await call("POST", `/jobs/${job.jobId}/savepoints`, body);
    expect(first.body["request-id"]).toBe("sp-1");
    expect(retry.body["request-id"]).toBe("sp-1");
    const done = await until(job.jobId, "sp-1");
    const location = done.operation?.location as string;
    expect(readMetadata(location)).toMatchObject({ format: "native", backend: "sqlite", kind: "savepoint" });
    const stop = await call("POST", `/jobs/${job.jobId}/stop`, { drain: false, formatType: "canonical" });
    const stopped = await until(job.jobId, stop.body["request-id"] as string);
    expect(readMetadata(stopped.operation?.location as string)).toMatchObject({ format: "canonical" });
    expect((await run).state).toBe("FINISHED");
    await server.close(0);
  });

  it("with a token, every route but GET /healthz needs it (reads included): 401, nothing done", async () => {
    const { job } = setup();
    const server = await startRestServer(job, { token: "t0ken" });
    const { call } = client(server.port, "t0ken");
    const run = job.run();
    await waitFor(() => job.state === "RUNNING", "RUNNING");
    for (const [method, path] of [
      ["GET", "/jobs"],
      ["GET", `/jobs/${job.jobId}`],
      ["GET", "/metrics"],
      ["POST", `/jobs/${job.jobId}/stop`],
      ["PATCH", `/jobs/${job.jobId}`],
    ] as const) {
      for (const wrong of ["", "wrong"]) {
        const answer = await call(method, path, method === "POST" ? {} : undefined, wrong);
        expect(answer.status, `${method} ${path}`).toBe(401);
        expect(answer.body.errors).toEqual([expect.stringContaining("bearer token")]);
      }
    }
    expect(job.state).toBe("RUNNING");
    expect((await call("GET", "/healthz", undefined, "")).status).toBe(200);
    const ok = await call("GET", "/jobs");
    expect(ok.status).toBe(200);
    expect(JSON.stringify(ok.body)).not.toContain("t0ken");
    await job.cancel();
    await run;
    await server.close(0);
  });

  it("refuses a Host or Origin other than loopback (DNS rebinding), even with the token", async () => {
    const { job } = setup();
    const server = await startRestServer(job, { token: "t0ken" });
    const raw = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(
          {
            host: "127.0.0.1",
            port: server.port,
            path: "/jobs",
            headers: { authorization: "Bearer t0ken", ...headers },
          },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        request.on("error", reject);
        request.end();
      });
    expect(await raw({ host: `evil.example:${server.port}` })).toBe(403);
    expect(await raw({ host: `localhost:${server.port}`, origin: "http://evil.example" })).toBe(403);
    expect(await raw({ host: `127.0.0.1:${server.port}`, origin: `http://localhost:${server.port}` })).toBe(
      200,
    );
    expect(await raw({ host: `localhost:${server.port}` })).toBe(200);
    await server.close(0);
  });

  it("takes Flink's body keys, answers unknown keys with 400 and a body over the bound with 413", async () => {
    const { job, work } = setup();
    const server = await startRestServer(job, { token: false });
    const { call, until } = client(server.port);
    const run = job.run();
    await waitFor(() => job.state === "RUNNING", "RUNNING");
    const unknown = await call("POST", `/jobs/${job.jobId}/savepoints`, {
      targetDirectory: work,
      cancel: true,
    });
    expect(unknown.status).toBe(400);
    expect(String((unknown.body.errors as string[])[0])).toContain('"cancel"');
    const typo = await call("POST", `/jobs/${job.jobId}/stop`, { drian: true });
    expect(typo.status).toBe(400);
    const huge = await call("POST", `/jobs/${job.jobId}/savepoints`, {
      targetDirectory: "x".repeat(MAX_BODY_BYTES),
    });
    expect(huge.status).toBe(413);
    const target = join(work, "flink-target");
    const savepoint = await call("POST", `/jobs/${job.jobId}/savepoints`, { "target-directory": target });
    expect(savepoint.status).toBe(202);
    const saved = await until(job.jobId, savepoint.body["request-id"] as string);
    expect(saved.operation?.location?.startsWith(`${target}/`)).toBe(true);
    expect(job.state).toBe("RUNNING");
    // cancel-job: true runs as a stop (suspend): synchronous commits, FINISHED, and says so.
    const cancelJob = await call("POST", `/jobs/${job.jobId}/savepoints`, {
      "target-directory": target,
      "cancel-job": true,
    });
    expect(cancelJob.status).toBe(202);
    expect(String(cancelJob.body.note)).toContain("runs as a stop");
    const stopped = await until(job.jobId, cancelJob.body["request-id"] as string);
    expect(readMetadata(stopped.operation?.location as string)).toMatchObject({
      kind: "savepoint",
      stop: "suspend",
    });
    expect((await run).state).toBe("FINISHED");
    await server.close(0);
  });
});
