/**
 * Whether a Docker engine is reachable, decided by small pure functions over what the machine
 * shows (environment, socket files, a ping), so the decision is unit-tested with fakes. Docker is
 * never required: without an engine the suite uses the local services.
 */
import { existsSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { LOCATED_SERVICES, namedByEnvironment } from "./endpoints.js";

export type DockerEndpoint =
  | { kind: "unix"; socketPath: string }
  | { kind: "tcp"; host: string; port: number; tls: boolean };

export interface DockerSurroundings {
  env: Readonly<Record<string, string | undefined>>;
  /** Whether a file (the socket) exists. */
  exists(path: string): boolean;
  home: string;
}

/** Where the Docker API would be: DOCKER_HOST, else the first socket file that exists. */
export function dockerEndpoint(s: DockerSurroundings): DockerEndpoint | undefined {
  const host = s.env.DOCKER_HOST?.trim();
  if (host) {
    if (host.startsWith("unix://")) return { kind: "unix", socketPath: host.slice("unix://".length) };
    const tcp = /^(?:tcp|http|https):\/\/\[?([^\]/]+?)\]?(?::(\d+))?\/?$/.exec(host);
    if (tcp?.[1]) {
      const tls = Boolean(s.env.DOCKER_TLS_VERIFY) || host.startsWith("https://");
      return { kind: "tcp", host: tcp[1], port: tcp[2] ? Number(tcp[2]) : tls ? 2376 : 2375, tls };
    }
    return undefined; // ssh:// and other transports: not probed here
  }
  const candidates = [
    s.env.TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE,
    "/var/run/docker.sock",
    s.env.XDG_RUNTIME_DIR ? join(s.env.XDG_RUNTIME_DIR, "docker.sock") : undefined,
    join(s.home, ".docker", "run", "docker.sock"),
    join(s.home, ".docker", "desktop", "docker.sock"),
  ];
  for (const socketPath of candidates) {
    if (socketPath && s.exists(socketPath)) return { kind: "unix", socketPath };
  }
  return undefined;
}

/** True when an endpoint exists and the engine answers its ping. */
export async function isDockerReachable(
  s: DockerSurroundings,
  ping: (endpoint: DockerEndpoint) => Promise<boolean>,
): Promise<boolean> {
  const endpoint = dockerEndpoint(s);
  if (!endpoint) return false;
  try {
    return await ping(endpoint);
  } catch {
    return false;
  }
}

export type ServiceSource =
  /** Every service is named by the environment: use those. */
  | "environment"
  /** Nothing is named and Docker answers: start the services as containers. */
  | "containers"
  /** Use the loopback services of `pnpm services up` (and whatever the environment names). */
  | "local";

/**
 * Where the suite's services come from. Containers only when Docker answers and the environment
 * sets none of KAFKA_BROKERS, KAFKA_3_9_BROKERS, PG_URL, S3_ENDPOINT (a partial override means someone set up their
 * own mix: respect it).
 */
export function chooseServiceSource(
  env: Readonly<Record<string, string | undefined>>,
  dockerReachable: boolean,
): ServiceSource {
  const provided = namedByEnvironment(env);
  if (provided.size === LOCATED_SERVICES) return "environment";
  if (provided.size === 0 && dockerReachable) return "containers";
  return "local";
}

/** GET /_ping on the Docker API; plain HTTP only (a TLS endpoint only has to accept TCP). */
export function pingDocker(endpoint: DockerEndpoint, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const target =
      endpoint.kind === "unix"
        ? { socketPath: endpoint.socketPath }
        : { host: endpoint.host, port: endpoint.port };
    if (endpoint.kind === "tcp" && endpoint.tls) {
      const socket = connect({ host: endpoint.host, port: endpoint.port });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(timeoutMs, () => done(false));
      socket.once("connect", () => done(true));
      socket.once("error", () => done(false));
      return;
    }
    const req = request({ ...target, path: "/_ping", method: "GET", timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve(res.statusCode === 200 && body.trim() === "OK"));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

/** The real surroundings of this process. */
export function detectDocker(): Promise<boolean> {
  return isDockerReachable({ env: process.env, exists: existsSync, home: homedir() }, (e) => pingDocker(e));
}
