/**
 * A Java server run as a detached background process: jars resolved with Maven, data, logs and a
 * pid file in the instance folder, ready when a service-specific probe succeeds. Kafka and S3Proxy
 * extend it; each instance takes its own ports and folder, so a private instance on other ports
 * is a second object, not new code.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ServiceName } from "./endpoints.js";
import { ensureMavenRuntime, type MavenRuntimeSpec } from "./maven-runtime.js";
import { displayPath } from "./paths.js";
import {
  commandLine,
  describeHolder,
  findPortHolder,
  isAlive,
  isPortOpen,
  isRecordedProcess,
  type PidRecord,
  readPidFile,
  removeFile,
  sleep,
  tailFile,
  writePidFile,
} from "./processes.js";
import type { ProgressLog, ServiceInstance, ServiceStatus, StartResult, StopResult } from "./service.js";
import { ServiceError } from "./service-error.js";

export interface JavaServerOptions {
  /** Loopback address the server binds. Default `127.0.0.1`. */
  host?: string;
  /** Instance folder: configuration, `data/`, `logs/`, the pid file. */
  dir: string;
  /** Cache of resolved jars, shared by instances (`<services dir>/runtime`). */
  runtimeCache: string;
  /** How long `start` waits for the server to answer. Default 120 s. */
  readyTimeoutMs?: number;
  /** Where progress lines go. Default: nowhere. */
  log?: ProgressLog;
  /** The java launcher. Default `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java`. */
  java?: string;
}

export interface NamedPort {
  label: string;
  port: number;
}

const SERVICE_PROPERTY = "-Dberth.service=";
const DIR_PROPERTY = "-Dberth.service.dir=";

export abstract class JavaServer implements ServiceInstance {
  abstract readonly name: ServiceName;
  abstract readonly endpoint: string;
  readonly host: string;
  readonly dir: string;
  protected readonly runtimeCache: string;
  protected readonly readyTimeoutMs: number;
  protected readonly log: ProgressLog;
  protected readonly java: string;

  constructor(options: JavaServerOptions) {
    this.host = options.host ?? "127.0.0.1";
    this.dir = options.dir;
    this.runtimeCache = options.runtimeCache;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
    this.log = options.log ?? (() => {});
    this.java = options.java ?? (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : "java");
  }

  /** Every port the server binds; all must be free (or held by this very instance). */
  protected abstract ports(): NamedPort[];
  protected abstract runtime(): MavenRuntimeSpec;
  /** Writes configuration and initialises storage; runs before every start. */
  protected abstract prepare(lib: string): Promise<void>;
  protected abstract jvmOptions(): string[];
  protected abstract mainClass(): string;
  protected abstract mainArguments(): string[];
  /** One readiness probe: resolves true when the server answers as it should. */
  abstract isReady(timeoutMs?: number): Promise<boolean>;
  /** The server's own log file, whose tail explains a failed start. */
  protected abstract serverLog(): string;

  get dataDir(): string {
    return join(this.dir, "data");
  }

  get logDir(): string {
    return join(this.dir, "logs");
  }

  get pidFile(): string {
    return join(this.dir, `${this.name}.pid`);
  }

  /** Console output of the JVM (anything not sent to the server log). */
  get stdoutLog(): string {
    return join(this.logDir, "stdout.log");
  }

  /** The command-line property that marks this instance's JVM. */
  protected get marker(): string {
    return `${DIR_PROPERTY}${this.dir}`;
  }

  private running(): PidRecord | undefined {
    const record = readPidFile(this.pidFile);
    if (record && isRecordedProcess(record)) return record;
    if (record) removeFile(this.pidFile); // stale: the process died (e.g. SIGKILL) or the pid was reused
    return undefined;
  }

  /** A Berth instance of this service from another services folder that holds one of the ports. */
  private otherCheckout(): { pid: number; dir: string } | undefined {
    for (const { port } of this.ports()) {
      const holder = findPortHolder(port);
      const dir = holder?.command.find((a) => a.startsWith(DIR_PROPERTY))?.slice(DIR_PROPERTY.length);
      if (holder && dir && dir !== this.dir && holder.command.includes(`${SERVICE_PROPERTY}${this.name}`)) {
        return { pid: holder.pid, dir };
      }
    }
    return undefined;
  }

  /** The pid of a process of this instance that holds one of its ports without a pid file. */
  private orphan(): number | undefined {
    for (const { port } of this.ports()) {
      const holder = findPortHolder(port);
      if (holder?.command.includes(this.marker)) return holder.pid;
    }
    return undefined;
  }

  async start(): Promise<StartResult> {
    const started = Date.now();
    const base = { service: this.name, endpoint: this.endpoint };
    let record = this.running();
    if (!record) {
      const pid = this.orphan();
      if (pid !== undefined) {
        record = { pid, marker: this.marker };
        writePidFile(this.pidFile, record);
      }
    }
    if (record) {
      await this.waitUntilReady(record.pid, started);
      return { ...base, outcome: "already-running", pid: record.pid, ms: Date.now() - started };
    }

    const other = this.otherCheckout();
    if (other && (await this.isReady(5_000))) {
      return {
        ...base,
        outcome: "reused",
        pid: other.pid,
        ms: Date.now() - started,
        detail: `run from ${other.dir}; 'down' here leaves it running`,
      };
    }
    for (const { label, port } of this.ports()) {
      if (!(await isPortOpen(this.host, port))) continue;
      const holder = findPortHolder(port);
      throw new ServiceError(
        "PORT_IN_USE",
        this.name,
        `${this.name}: port ${port} (${label}) on ${this.host} is in use by ${describeHolder(holder)}. ` +
          `Stop that process and run 'pnpm services up' again, or, if it is a server you want the suite to use, ` +
          `leave it running and point the suite at it (see docs/services.md).`,
      );
    }

    const lib = await ensureMavenRuntime(this.runtime(), this.runtimeCache, this.log);
    await mkdir(this.dataDir, { recursive: true });
    await mkdir(this.logDir, { recursive: true });
    await this.prepare(lib);

    const out = openSync(this.stdoutLog, "w");
    let exited: string | undefined;
    let pid: number | undefined;
    try {
      const child = spawn(
        this.java,
        [
          ...this.jvmOptions(),
          `${SERVICE_PROPERTY}${this.name}`,
          this.marker,
          "-cp",
          join(lib, "*"),
          this.mainClass(),
          ...this.mainArguments(),
        ],
        { cwd: this.dir, detached: true, stdio: ["ignore", out, out] },
      );
      child.once("exit", (code, signal) => {
        exited = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      });
      const spawnError = await new Promise<Error | undefined>((resolve) => {
        child.once("spawn", () => resolve(undefined));
        child.once("error", resolve);
      });
      if (spawnError || child.pid === undefined) {
        throw new ServiceError(
          "TOOL_MISSING",
          this.name,
          `${this.name}: cannot run ${this.java} (${spawnError?.message ?? "no pid"}); install Java 17+ (apt-get install openjdk-17-jre-headless) or set JAVA_HOME`,
          { cause: spawnError },
        );
      }
      pid = child.pid;
      child.unref();
    } finally {
      closeSync(out);
    }
    writePidFile(this.pidFile, { pid, marker: this.marker });
    await this.waitUntilReady(pid, started, () => exited);
    return { ...base, outcome: "started", pid, ms: Date.now() - started };
  }

  private async waitUntilReady(
    pid: number,
    since: number,
    exitReason?: () => string | undefined,
  ): Promise<void> {
    const deadline = since + this.readyTimeoutMs;
    for (;;) {
      const gone = exitReason?.() ?? (isAlive(pid) && commandLine(pid) ? undefined : "is gone");
      if (gone) {
        removeFile(this.pidFile);
        throw new ServiceError(
          "START_FAILED",
          this.name,
          `${this.name}: the server (pid ${pid}) ${gone} before it was ready; see ${displayPath(this.serverLog())} and ${displayPath(this.stdoutLog)}.\n${await this.logTail()}`,
        );
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      if (await this.isReady(Math.min(remaining, 10_000))) return;
      await sleep(200);
    }
    throw new ServiceError(
      "NOT_READY",
      this.name,
      `${this.name}: the server (pid ${pid}) runs but did not answer at ${this.endpoint} within ${Math.round(this.readyTimeoutMs / 1000)} s; ` +
        `see ${displayPath(this.serverLog())}. 'pnpm services down ${this.name}' then 'pnpm services up' restarts it.\n${await this.logTail()}`,
    );
  }

  private async logTail(): Promise<string> {
    const server = await tailFile(this.serverLog(), 12);
    const stdout = await tailFile(this.stdoutLog, 8);
    return [server, stdout].filter((t) => t.length > 0).join("\n");
  }

  async stop(options: { wipe?: boolean } = {}): Promise<StopResult> {
    const record = this.running();
    const pid = record?.pid ?? this.orphan();
    let result: StopResult;
    if (pid === undefined) {
      const other = this.otherCheckout();
      result = other
        ? { service: this.name, outcome: "left-running", detail: `pid ${other.pid}, run from ${other.dir}` }
        : { service: this.name, outcome: "not-running" };
    } else {
      const graceful = await this.terminate(pid);
      removeFile(this.pidFile);
      result = {
        service: this.name,
        outcome: "stopped",
        detail: graceful ? `pid ${pid}` : `pid ${pid}, killed after it ignored SIGTERM`,
      };
    }
    if (options.wipe) {
      await rm(this.dataDir, { recursive: true, force: true });
      await rm(this.logDir, { recursive: true, force: true });
      result.detail = [result.detail, "data wiped"].filter(Boolean).join(", ");
    }
    return result;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves true when the server stopped by itself. */
  private async terminate(pid: number, graceMs = 30_000): Promise<boolean> {
    const gone = () => !isAlive(pid) || commandLine(pid) === undefined;
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      return true;
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (gone()) return true;
      await sleep(100);
    }
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
    while (!gone()) await sleep(100);
    return false;
  }

  async status(): Promise<ServiceStatus> {
    const base = { service: this.name, endpoint: this.endpoint };
    const record = this.running();
    const pid = record?.pid ?? this.orphan();
    if (pid !== undefined) {
      const ready = await this.isReady(5_000);
      return { ...base, up: ready, pid, detail: ready ? undefined : "running, not answering (starting?)" };
    }
    const other = this.otherCheckout();
    if (other) {
      const ready = await this.isReady(5_000);
      return { ...base, up: ready, pid: other.pid, detail: `run from ${other.dir}` };
    }
    for (const { label, port } of this.ports()) {
      if (!(await isPortOpen(this.host, port))) continue;
      const holder = findPortHolder(port);
      return { ...base, up: false, detail: `port ${port} (${label}) is held by ${describeHolder(holder)}` };
    }
    return { ...base, up: false };
  }
}
