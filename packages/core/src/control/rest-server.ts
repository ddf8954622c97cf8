/**
 * The job's REST control plane on 127.0.0.1, shaped after Flink's REST API. Every request
 * but `GET /healthz` must carry `Authorization: Bearer <token>` (401 otherwise) unless the
 * token is explicitly turned off — or, from a browser, the dashboard's session cookie
 * (ui-access.ts; only the sign-in page's static files and its code exchange are open) — and a `Host` or `Origin` other than loopback is refused (403), so a web
 * page cannot reach the job through DNS rebinding. `GET /` serves the dashboard. Bodies are bounded and
 * checked strictly: Flink's keys are accepted, unknown keys are a 400. Responses never hold
 * connection settings or other secrets.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Registry } from "prom-client";
import { z } from "zod";
import { BerthError, errorMessage } from "../errors.js";
import type { Job } from "../job.js";
import { redactSecrets, redactValue } from "../redact.js";
import { type DashboardAsset, loadDashboardAssets } from "./dashboard-assets.js";
import { JobViews } from "./job-views.js";
import { jobMetrics } from "./metrics.js";
import { type Operation, SavepointOperations } from "./savepoint-operations.js";
import { UiAccess } from "./ui-access.js";

/** Flink's kebab-case keys, accepted beside ours. */
const FLINK_KEYS: Record<string, string> = {
  "target-directory": "targetDirectory",
  "format-type": "formatType",
  "trigger-id": "triggerId",
  "cancel-job": "cancelJob",
};

const triggerFields = {
  targetDirectory: z.string().min(1).optional(),
  formatType: z.enum(["CANONICAL", "NATIVE", "canonical", "native"]).default("CANONICAL"),
  triggerId: z.string().min(1).optional(),
};
const stopBody = z.strictObject({ drain: z.boolean().default(false), ...triggerFields });
/**
 * `cancelJob: true` (Flink's cancel-with-savepoint) runs as a stop: a cancel after the
 * savepoint would leave the savepoint's transactions pending, which FLIP-34 replaced.
 */
const savepointBody = z.strictObject({ cancelJob: z.boolean().default(false), ...triggerFields });

/** A control request is a few hundred bytes; anything much larger is refused (413). */
export const MAX_BODY_BYTES = 16 * 1024;

export interface RestServerOptions {
  readonly port?: number;
  /** The bearer token every request but `GET /healthz` needs; `false` turns it off explicitly. */
  readonly token: string | false;
  /** How long a stop or savepoint sent while the job starts waits for it. Default 60 s. */
  readonly startTimeoutMs?: number;
  /** The job's metrics registry, when another server (`--metrics-address`) serves it too. */
  readonly metrics?: Registry;
}

export interface RestServer {
  readonly port: number;
  /** Closes once clients read the results of their stops and savepoints, or after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  contentType = "application/json",
): void {
  // No answer carries a secret: connection strings in error messages are redacted.
  const text = typeof body === "string" ? redactSecrets(body) : JSON.stringify(redactValue(body));
  response.writeHead(status, { "content-type": contentType });
  response.end(text);
}

/** A page or script of the dashboard: never cached, never framed, loading nothing from elsewhere. */
function sendAsset(response: ServerResponse, status: number, asset: DashboardAsset): void {
  response.writeHead(status, {
    "content-type": asset.contentType,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy":
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  });
  response.end(asset.body);
}

function operationView(operation: Operation, job: Job): unknown {
  return {
    // Once a stop completed the job ends and its control plane closes: the answer says how it ended.
    "job-state": job.state,
    status: { id: operation.status },
    kind: operation.kind,
    phase: operation.phase,
    commits: operation.commits,
    operation:
      operation.status === "COMPLETED"
        ? operation.failure
          ? { "failure-cause": operation.failure }
          : { location: operation.location }
        : undefined,
  };
}

/** A request refused before anything is done; `status` is its HTTP answer. */
class RequestError extends BerthError {
  static override readonly marker: string = "berth.core/RequestError";

  constructor(
    readonly status: number,
    message: string,
  ) {
    super("REQUEST_INVALID", message);
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new RequestError(413, `the request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let body: unknown;
  try {
    body = text.length === 0 ? {} : JSON.parse(text);
  } catch {
    throw new RequestError(400, "the request body is not JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new RequestError(400, "the request body must be a JSON object");
  return Object.fromEntries(Object.entries(body).map(([key, value]) => [FLINK_KEYS[key] ?? key, value]));
}

/** Loopback names only: a rebound DNS name or a web page's origin never reaches the job. */
function isLoopbackHost(host: string): boolean {
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
  return name === "127.0.0.1" || name === "localhost" || name === "[::1]";
}

function refusedOrigin(request: IncomingMessage): string | undefined {
  const host = request.headers.host;
  if (host === undefined || !isLoopbackHost(host))
    return `Host ${host ?? "(none)"} is not 127.0.0.1 or localhost`;
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return `Origin ${origin} is not a URL`;
  }
  return isLoopbackHost(originHost) ? undefined : `Origin ${origin} is not 127.0.0.1 or localhost`;
}

function authorized(request: IncomingMessage, token: string | false): boolean {
  if (token === false) return true;
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(request.headers.authorization ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A browser's request that changes something must come from the dashboard's own page:
 * cookies are per host, not per port, so another local page would otherwise carry them.
 */
function fromOwnPage(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export async function startRestServer(job: Job, options: RestServerOptions): Promise<RestServer> {
  const operations = new SavepointOperations(job, options.startTimeoutMs ?? 60_000);
  const metrics = options.metrics ?? jobMetrics(job);
  const views = new JobViews(job);
  const ui = new UiAccess(job.jobId);
  const assets = await loadDashboardAssets(job.jobId);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const refused = refusedOrigin(request);
    if (refused)
      return send(response, 403, { errors: [`${refused}: the control plane answers loopback only`] });
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const parts = url.pathname.split("/").filter(Boolean);
    const method = request.method ?? "GET";
    if (method === "GET" && url.pathname === "/healthz") return send(response, 200, { status: "ok" });
    // What the sign-in page needs before it has a session: its script, the stylesheet and the exchange.
    const publicAsset = method === "GET" ? assets.public(url.pathname) : undefined;
    if (publicAsset) return sendAsset(response, 200, publicAsset);
    if (method === "POST" && url.pathname === "/ui/session") {
      const body = z.strictObject({ code: z.string().min(1) }).safeParse(await readJson(request));
      const cookie = body.success ? ui.exchange(body.data.code) : undefined;
      if (!cookie)
        return send(response, 401, {
          errors: [`this dashboard address was used or has expired: run berth ui ${job.jobId} for a new one`],
        });
      response.setHeader("set-cookie", cookie);
      return send(response, 200, { jid: job.jobId });
    }
    const byToken = authorized(request, options.token);
    if (!byToken && !ui.hasSession(request)) {
      if (method === "GET" && url.pathname === "/") return sendAsset(response, 401, assets.signIn);
      return send(response, 401, {
        errors: [
          `missing or wrong bearer token for job ${job.jobId}: berth reads it from the job's registry entry; send Authorization: Bearer <token> (a browser: run berth ui ${job.jobId})`,
        ],
      });
    }
    if (!byToken && method !== "GET" && !fromOwnPage(request))
      return send(response, 403, {
        errors: [
          `a browser's ${method} must come from this job's dashboard page (Origin ${request.headers.origin ?? "(none)"})`,
        ],
      });
    if (method === "POST" && url.pathname === "/ui/codes") {
      if (!byToken)
        return send(response, 403, { errors: ["a dashboard code is issued for the bearer token only"] });
      const { code, expiresInMs } = ui.issueCode();
      return send(response, 201, { code, "expires-in": expiresInMs });
    }
    const asset = method === "GET" ? assets.private(url.pathname) : undefined;
    if (asset) return sendAsset(response, 200, asset);
    if (method === "GET" && url.pathname === "/metrics")
      return send(response, 200, await metrics.metrics(), metrics.contentType);
    if (parts[0] !== "jobs") return send(response, 404, { errors: [`no route ${method} ${url.pathname}`] });
    if (parts.length === 1 && method === "GET")
      return send(response, 200, { jobs: [{ id: job.jobId, status: job.state }] });
    if (parts.length === 2 && parts[1] === "overview" && method === "GET")
      return send(response, 200, views.overview());
    if (parts[1] !== job.jobId)
      return send(response, 404, { errors: [`job ${parts[1]} is not served here (this is ${job.jobId})`] });
    const resource = parts.slice(2).join("/");
    if (method === "GET") {
      if (resource === "") return send(response, 200, views.details());
      if (resource === "plan") return send(response, 200, views.plan());
      if (resource === "checkpoints") return send(response, 200, views.checkpoints.view());
      if (resource === "checkpoints/config") return send(response, 200, views.checkpointConfig());
      if (resource === "exceptions") return send(response, 200, views.exceptions.view());
    }
    if (parts.length === 2 && method === "PATCH") {
      void job.cancel();
      return send(response, 202, {});
    }
    if (parts.length === 3 && method === "POST" && (parts[2] === "stop" || parts[2] === "savepoints")) {
      const isStop = parts[2] === "stop";
      const parsed = (isStop ? stopBody : savepointBody).safeParse(await readJson(request));
      if (!parsed.success)
        return send(response, 400, {
          errors: [parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ")],
        });
      const body = parsed.data;
      const asStop = isStop || ("cancelJob" in body && body.cancelJob);
      if (job.state === "FINISHED" || job.state === "CANCELED" || job.state === "FAILED") {
        return send(response, 409, {
          errors: [`job ${job.jobId} is ${job.state}; there is nothing to ${asStop ? "stop" : "save"}`],
        });
      }
      const operation = operations.trigger({
        kind: asStop ? "stop" : "savepoint",
        drain: "drain" in body ? body.drain : false,
        format: body.formatType.toUpperCase() === "NATIVE" ? "native" : "canonical",
        ...(body.targetDirectory ? { targetDirectory: body.targetDirectory } : {}),
        ...(body.triggerId ? { triggerId: body.triggerId } : {}),
      });
      return send(response, 202, {
        "request-id": operation.triggerId,
        ...(asStop && !isStop
          ? {
              note: "cancel-job runs as a stop (suspend): the job commits synchronously and ends FINISHED; a cancel would leave the savepoint's transactions pending",
            }
          : {}),
      });
    }
    if (parts.length === 4 && method === "GET" && parts[2] === "savepoints") {
      const operation = operations.get(parts[3] as string);
      if (!operation)
        return send(response, 404, { errors: [`no savepoint or stop with trigger id ${parts[3]}`] });
      if (operation.status === "COMPLETED") operation.reported = true;
      return send(response, 200, operationView(operation, job));
    }
    return send(response, 404, { errors: [`no route ${method} ${url.pathname}`] });
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) =>
      error instanceof RequestError
        ? send(response, error.status, { errors: [error.message] })
        : send(response, 500, { errors: [errorMessage(error)] }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async (graceMs = 5_000) => {
      const until = Date.now() + graceMs;
      while (!operations.allReported() && Date.now() < until) await sleep(50);
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
