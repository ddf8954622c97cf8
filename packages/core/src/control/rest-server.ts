/**
 * The job's REST control plane on 127.0.0.1, shaped after Flink's REST API. With a token,
 * every request must carry `Authorization: Bearer <token>` (401 otherwise). Responses never
 * hold connection settings or other secrets.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import type { Job } from "../job.js";
import { redactSecrets, redactValue } from "../redact.js";
import { jobMetrics } from "./metrics.js";
import { type Operation, SavepointOperations } from "./savepoint-operations.js";

const stopBody = z.object({
  drain: z.boolean().default(false),
  targetDirectory: z.string().optional(),
  formatType: z.enum(["CANONICAL", "NATIVE", "canonical", "native"]).default("CANONICAL"),
  triggerId: z.string().min(1).optional(),
});
const savepointBody = stopBody.omit({ drain: true });

export interface RestServerOptions {
  readonly port?: number;
  readonly token?: string;
  /** How long a stop or savepoint sent while the job starts waits for it. Default 60 s. */
  readonly startTimeoutMs?: number;
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

function operationView(operation: Operation): unknown {
  return {
    status: { id: operation.status },
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

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text.length === 0 ? {} : JSON.parse(text);
}

function authorized(request: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(request.headers.authorization ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startRestServer(job: Job, options: RestServerOptions = {}): Promise<RestServer> {
  const operations = new SavepointOperations(job, options.startTimeoutMs ?? 60_000);
  const metrics = jobMetrics(job);
  const startedAt = Date.now();
  const jobView = () => ({
    jid: job.jobId,
    name: job.pipeline.name,
    state: job.state,
    "start-time": startedAt,
  });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (!authorized(request, options.token))
      return send(response, 401, { errors: ["missing or wrong bearer token"] });
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const parts = url.pathname.split("/").filter(Boolean);
    const method = request.method ?? "GET";
    if (method === "GET" && url.pathname === "/metrics")
      return send(response, 200, await metrics.metrics(), metrics.contentType);
    if (parts[0] !== "jobs") return send(response, 404, { errors: [`no route ${method} ${url.pathname}`] });
    if (parts.length === 1 && method === "GET")
      return send(response, 200, { jobs: [{ id: job.jobId, status: job.state }] });
    if (parts[1] !== job.jobId)
      return send(response, 404, { errors: [`job ${parts[1]} is not served here (this is ${job.jobId})`] });
    if (parts.length === 2 && method === "GET") return send(response, 200, jobView());
    if (parts.length === 2 && method === "PATCH") {
      void job.cancel();
      return send(response, 202, {});
    }
    if (parts.length === 3 && method === "POST" && (parts[2] === "stop" || parts[2] === "savepoints")) {
      const isStop = parts[2] === "stop";
      const parsed = (isStop ? stopBody : savepointBody).safeParse(await readJson(request));
      if (!parsed.success)
        return send(response, 400, {
          errors: [parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")],
        });
      const body = parsed.data as z.infer<typeof stopBody>;
      if (job.state === "FINISHED" || job.state === "CANCELED" || job.state === "FAILED") {
        return send(response, 409, {
          errors: [`job ${job.jobId} is ${job.state}; there is nothing to ${isStop ? "stop" : "save"}`],
        });
      }
      const operation = operations.trigger({
        kind: isStop ? "stop" : "savepoint",
        drain: isStop ? body.drain : false,
        format: body.formatType.toUpperCase() === "NATIVE" ? "native" : "canonical",
        ...(body.targetDirectory ? { targetDirectory: body.targetDirectory } : {}),
        ...(body.triggerId ? { triggerId: body.triggerId } : {}),
      });
      return send(response, 202, { "request-id": operation.triggerId });
    }
    if (parts.length === 4 && method === "GET" && parts[2] === "savepoints") {
      const operation = operations.get(parts[3] as string);
      if (!operation)
        return send(response, 404, { errors: [`no savepoint or stop with trigger id ${parts[3]}`] });
      if (operation.status === "COMPLETED") operation.reported = true;
      return send(response, 200, operationView(operation));
    }
    return send(response, 404, { errors: [`no route ${method} ${url.pathname}`] });
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 400, { errors: [String(error)] }));
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
