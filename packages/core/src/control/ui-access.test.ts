/**
 * The dashboard's access rules on a real control plane: without a session `GET /` answers
 * 401 with a page saying to run `berth ui <jobId>`; a code is issued to the bearer token only,
 * works once and gives an HttpOnly, SameSite=Strict cookie of this job; a browser's POST must
 * come from the dashboard's own origin; codes expire.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileSink } from "../file-sink/file-sink.js";
import { Job } from "../job.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { sequenceSource } from "../source/sequence-source.js";
import { waitFor, workDirectory } from "../test-support.js";
import { startRestServer } from "./rest-server.js";
import { UI_CODE_TTL_MS, UiAccess } from "./ui-access.js";

const TOKEN = "t0ken-for-the-ui-test";

function runningJob() {
  const work = workDirectory("ui-access");
  const pipeline = Pipeline.create({ name: "ui-access" });
  pipeline
    .source(sequenceSource({ ratePerSecond: 200 }), { uid: "seq" })
    .map((n: number) => ({ seq: n }), { uid: "to-json" })
    .sinkTo(fileSink({ directory: join(work, "out") }), { uid: "files" });
  return new Job(pipeline, { checkpointDirectory: join(work, "chk"), checkpointIntervalMs: 100 });
}

describe("dashboard access", () => {
  it("401 page without a session; a one-time code for the token; a cookie that stands in for it", async () => {
    const job = runningJob();
    const server = await startRestServer(job, { token: TOKEN });
    const origin = `http://127.0.0.1:${server.port}`;
    const run = job.run();
    await waitFor(() => job.state === "RUNNING", "RUNNING");
    const call = (path: string, init: RequestInit = {}) => fetch(`${origin}${path}`, init);

    const signIn = await call("/");
    expect(signIn.status).toBe(401);
    expect(signIn.headers.get("content-type")).toMatch(/^text\/html/);
    expect(signIn.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await signIn.text()).toContain(`berth ui ${job.jobId}`);
    // What that page loads is served; the dashboard's own script and the job's data are not.
    expect((await call("/sign-in.js")).status).toBe(200);
    expect((await call("/dashboard.css")).status).toBe(200);
    expect((await call("/dashboard.js")).status).toBe(401);
    expect((await call(`/jobs/${job.jobId}`)).status).toBe(401);

    expect((await call("/ui/codes", { method: "POST" })).status).toBe(401);
    const issued = await call("/ui/codes", { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(issued.status).toBe(201);
    const { code, "expires-in": expiresIn } = (await issued.json()) as { code: string; "expires-in": number };
    expect(expiresIn).toBe(UI_CODE_TTL_MS);
    expect(code).not.toContain(TOKEN);

    const exchange = () =>
      call("/ui/session", {
        method: "POST",
        headers: { "content-type": "application/json", origin },
        body: JSON.stringify({ code }),
      });
    const first = await exchange();
    expect(first.status).toBe(200);
    const setCookie = first.headers.get("set-cookie") as string;
    expect(setCookie).toMatch(new RegExp(`^berth-${job.jobId}=[\\w-]{43}; `));
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    const second = await exchange();
    expect(second.status).toBe(401);
    expect(((await second.json()) as { errors: string[] }).errors[0]).toContain(`run berth ui ${job.jobId}`);

    const cookie = setCookie.split(";")[0] as string;
    const page = await call("/", { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/dashboard.js"');
    expect((await call(`/jobs/${job.jobId}/checkpoints`, { headers: { cookie } })).status).toBe(200);
    expect((await call(`/jobs/${job.jobId}`, { headers: { cookie: `${cookie}x` } })).status).toBe(401);
    // A cookie issues no codes: only the token's holder hands out addresses.
    expect((await call("/ui/codes", { method: "POST", headers: { cookie, origin } })).status).toBe(403);

    // Cookies go to every port of the host: a browser's stop must come from this page's origin.
    const stop = (headers: Record<string, string>) =>
      call(`/jobs/${job.jobId}/stop`, { method: "POST", headers: { cookie, ...headers }, body: "{}" });
    expect((await stop({})).status).toBe(403);
    expect((await stop({ origin: "http://127.0.0.1:1" })).status).toBe(403);
    expect((await stop({ origin: "http://evil.example" })).status).toBe(403);
    expect(job.state).toBe("RUNNING");
    const accepted = await stop({ origin });
    expect(accepted.status).toBe(202);
    expect((await run).state).toBe("FINISHED");
    await server.close(0);
  });

  it("a code expires unused after its time", () => {
    let now = 1_000_000;
    const access = new UiAccess("j1", () => now);
    const { code } = access.issueCode();
    now += UI_CODE_TTL_MS;
    expect(access.exchange(code)).toBeUndefined();
    const fresh = access.issueCode().code;
    now += UI_CODE_TTL_MS - 1;
    expect(access.exchange(fresh)).toMatch(/^berth-j1=/);
  });
});
