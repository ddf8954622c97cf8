/**
 * The opt-in `--metrics-address HOST:PORT` of `berth run`: `GET /metrics` (the job's Prometheus
 * registry, the one the REST API serves) and `GET /healthz` on an address a scraper or a kubelet
 * can reach, without a token. Nothing else is served there — no job details, no stop, no
 * dashboard — so the control plane stays on 127.0.0.1 behind its token.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { BerthError } from "../errors.js";
import type { Job } from "../job.js";
import { redactSecrets } from "../redact.js";

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface MetricsServer {
  /** The address it listens on (the port chosen by the system for port 0). */
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/** `HOST:PORT`, `[IPv6]:PORT`; HOST may be `0.0.0.0` (every address, as a pod needs). */
export function parseListenAddress(value: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535)
    throw new BerthError(
      "CONFIG_INVALID",
      `${JSON.stringify(value)} is not HOST:PORT (e.g. 0.0.0.0:9249, [::]:9249, 127.0.0.1:0)`,
    );
  return { host: (match[1] ?? match[2]) as string, port };
}

function send(response: ServerResponse, status: number, body: string, contentType: string): void {
  response.writeHead(status, { "content-type": contentType });
  response.end(redactSecrets(body));
}

export async function startMetricsServer(
  job: Job,
  metrics: Registry,
  address: ListenAddress,
): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://metrics").pathname;
    if (request.method === "GET" && path === "/healthz")
      // The process answers, so its event loop runs; the state says how far the job is.
      return send(response, 200, JSON.stringify({ status: "ok", state: job.state }), "application/json");
    if (request.method === "GET" && path === "/metrics") {
      metrics.metrics().then(
        (text) => send(response, 200, text, metrics.contentType),
        (error: unknown) => send(response, 500, String(error), "text/plain"),
      );
      return;
    }
    send(response, 404, "only GET /metrics and GET /healthz are served here\n", "text/plain");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, resolve);
  });
  const bound = server.address() as AddressInfo;
  return {
    address: { host: address.host, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
