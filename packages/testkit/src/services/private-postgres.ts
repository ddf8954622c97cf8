/**
 * A private PostgreSQL server for one test: `initdb` and `pg_ctl` from the machine's PostgreSQL
 * binaries, its own data folder and loopback port, settings of the test's choosing (e.g.
 * `max_prepared_transactions = 0`), and no Unix socket, so it never meets the machine's server.
 * PostgreSQL refuses to run as root: as root, every command runs as `user` (`runuser`), which
 * owns the folder. `initdb` runs once per binaries into a template cluster under the services
 * folder (it takes seconds on a loaded machine); each instance starts from a copy of it. `kill` ends the postmaster and its backends with SIGKILL (a crash: the next
 * start runs crash recovery); `stop` shuts down cleanly; a server still running when the
 * process exits is stopped then (immediate mode), so a failed test leaves none behind.
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type pg from "pg";
import { servicesDir } from "./paths.js";
import { isAlive, sleep, tailFile, withLockFile } from "./processes.js";
import type { ServiceInstance, ServiceStatus, StartResult, StopResult } from "./service.js";
import { ServiceError } from "./service-error.js";

const run = promisify(execFile);

export interface PrivatePostgresOptions {
  /** The instance's folder (data, log); created, and owned by the server's user. */
  readonly dir: string;
  readonly port: number;
  /** Server settings for every start, e.g. `{ max_prepared_transactions: 0 }`. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  /** The OS user the server runs as when this process is root. Default `postgres`. */
  readonly user?: string;
  /** The database created at the first start. Default `berth`. */
  readonly database?: string;
  /** The folder of `initdb`, `pg_ctl` and `postgres`. Default: `pg_config --bindir`, else the newest `/usr/lib/postgresql/<major>/bin`. */
  readonly binDir?: string;
}

/** Started instances, stopped (immediate mode) when the process exits. */
const running = new Set<PrivatePostgres>();
process.once("exit", () => {
  for (const server of running) server.stopNow();
});

/** Where `initdb` and `pg_ctl` are: `pg_config --bindir` when it has them, else the newest `/usr/lib/postgresql/<major>/bin`. */
export function postgresBinDir(): string {
  const has = (dir: string) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"));
  try {
    const dir = execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim();
    if (has(dir)) return dir;
  } catch {
    // no pg_config: look for Debian's layout
  }
  const root = "/usr/lib/postgresql";
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && has(join(root, v, "bin")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors[0] === undefined)
    throw new ServiceError(
      "TOOL_MISSING",
      "postgres",
      "postgres: no PostgreSQL server binaries (initdb, pg_ctl) found by pg_config --bindir or in /usr/lib/postgresql/<major>/bin; install them (apt-get install postgresql)",
    );
  return join(root, majors[0], "bin");
}

export class PrivatePostgres implements ServiceInstance {
  readonly name = "postgres" as const;
  readonly port: number;
  readonly database: string;
  private readonly dir: string;
  private readonly settings: Readonly<Record<string, string | number | boolean>>;
  private readonly user: string;
  private readonly binDir: string;

  constructor(options: PrivatePostgresOptions) {
    this.dir = options.dir;
    this.port = options.port;
    this.settings = options.settings ?? {};
    this.user = options.user ?? "postgres";
    this.database = options.database ?? "berth";
    this.binDir = options.binDir ?? postgresBinDir();
  }

  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust authentication, loopback only). */
  get endpoint(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${this.database}`;
  }

  private get dataDir(): string {
    return join(this.dir, "data");
  }

  private get logFile(): string {
    return join(this.dir, "server.log");
  }

  private get asRoot(): boolean {
    return process.getuid?.() === 0;
  }

  /** A command line run as the server's user when this process is root. */
  private asUser(file: string, args: string[]): [string, string[]] {
    return this.asRoot ? ["runuser", ["-u", this.user, "--", file, ...args]] : [file, args];
  }

  private bin(binary: string): string {
    return join(this.binDir, binary);
  }

  private async exec(file: string, args: string[], timeoutMs: number): Promise<void> {
    const [command, argv] = this.asUser(file, args);
    try {
      await run(command, argv, { timeout: timeoutMs });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      const log = await tailFile(this.logFile);
      throw new ServiceError(
        "START_FAILED",
        this.name,
        `postgres (private, port ${this.port}): ${file} ${args[0] ?? ""} failed: ${(e.stderr || e.message).trim()}${log ? `; server log:\n${log}` : ""}`,
        { cause: error },
      );
    }
  }

  /** Makes `path` the server user's (as root; otherwise it is this process's already). */
  private async own(path: string): Promise<void> {
    if (this.asRoot) await run("chown", ["-R", `${this.user}:`, path]);
  }

  /**
   * The template cluster of these binaries and this user, made once (under a lock file, as
   * other test processes may want it at the same time) and never started.
   */
  private async template(): Promise<string> {
    const key = createHash("sha256").update(`${this.binDir}\0${this.user}`).digest("hex").slice(0, 12);
    const root = join(servicesDir(), "postgres-private");
    const template = join(root, `template-${key}`);
    await mkdir(root, { recursive: true });
    await withLockFile(`${template}.lock`, async () => {
      if (existsSync(join(template, "PG_VERSION"))) return;
      const building = `${template}.building`;
      await rm(building, { recursive: true, force: true });
      await mkdir(building);
      await this.own(building);
      const data = join(building, "data");
      await this.exec(
        this.bin("initdb"),
        ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
        180_000,
      );
      await rename(data, template);
      await rm(building, { recursive: true, force: true });
    });
    return template;
  }

  /** Copies the template cluster at the first start, writes the settings, starts the server, creates the database. */
  async start(): Promise<StartResult> {
    const started = Date.now();
    await mkdir(this.dir, { recursive: true });
    await this.own(this.dir);
    const fresh = !existsSync(join(this.dataDir, "PG_VERSION"));
    if (fresh) {
      const template = await this.template();
      await this.exec("cp", ["-a", template, this.dataDir], 120_000);
    }
    await this.writeSettings(fresh);
    await this.exec(
      this.bin("pg_ctl"),
      ["start", "-D", this.dataDir, "-l", this.logFile, "-w", "-t", "60"],
      90_000,
    );
    running.add(this);
    if (fresh) await this.createDatabase();
    return {
      service: this.name,
      endpoint: this.endpoint,
      outcome: "started",
      ms: Date.now() - started,
      ...(this.postmasterPid() !== undefined ? { pid: this.postmasterPid() } : {}),
      detail: `private instance in ${this.dir}`,
    };
  }

  /** The settings go into a file of their own, included by postgresql.conf, rewritten at every start. */
  private async writeSettings(fresh: boolean): Promise<void> {
    const all = {
      listen_addresses: "127.0.0.1",
      port: this.port,
      unix_socket_directories: "",
      shared_buffers: "32MB",
      max_connections: 50,
      ...this.settings,
    };
    const lines = Object.entries(all).map(
      ([key, value]) => `${key} = '${String(value).replaceAll("'", "''")}'`,
    );
    const file = join(this.dataDir, "berth.conf");
    await writeFile(
      file,
      `# Written by the testkit's PrivatePostgres at every start.\n${lines.join("\n")}\n`,
    );
    if (fresh)
      await writeFile(join(this.dataDir, "postgresql.conf"), "include 'berth.conf'\n", { flag: "a" });
    await this.own(file);
  }

  private async createDatabase(): Promise<void> {
    const { Client } = (await import("pg")).default;
    const client: pg.Client = new Client({
      connectionString: `postgres://postgres@127.0.0.1:${this.port}/postgres`,
      connectionTimeoutMillis: 10_000,
    });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(this.database)}`);
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** The postmaster's pid from `postmaster.pid`, when it is running. */
  postmasterPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
      return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * A crash: SIGKILL to the postmaster and every backend, no shutdown checkpoint. Returns once
   * they are gone; the next `start` runs crash recovery.
   */
  async kill(): Promise<void> {
    const postmaster = this.postmasterPid();
    if (postmaster === undefined) return;
    const victims = [postmaster, ...childrenOf(postmaster)];
    for (const pid of victims) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    running.delete(this);
    for (let i = 0; i < 200 && victims.some(isAlive); i++) await sleep(50);
    if (victims.some(isAlive))
      throw new ServiceError(
        "NOT_READY",
        this.name,
        `postgres (private): pids ${victims.join(", ")} survived SIGKILL`,
      );
  }

  /** A clean shutdown (`pg_ctl stop -m fast`); with `wipe`, the folder is removed too. */
  async stop(options: { wipe?: boolean } = {}): Promise<StopResult> {
    const wasRunning = this.postmasterPid() !== undefined;
    if (wasRunning)
      await this.exec(
        this.bin("pg_ctl"),
        ["stop", "-D", this.dataDir, "-m", "fast", "-w", "-t", "60"],
        90_000,
      );
    running.delete(this);
    if (options.wipe) await rm(this.dir, { recursive: true, force: true });
    return { service: this.name, outcome: wasRunning ? "stopped" : "not-running" };
  }

  /** For the exit handler: an immediate stop, synchronously, errors ignored. */
  stopNow(): void {
    const [file, argv] = this.asUser(this.bin("pg_ctl"), [
      "stop",
      "-D",
      this.dataDir,
      "-m",
      "immediate",
      "-w",
      "-t",
      "30",
    ]);
    try {
      execFileSync(file, argv, { stdio: "ignore", timeout: 40_000 });
    } catch {
      // gone already, or nothing more to do while exiting
    }
  }

  async status(): Promise<ServiceStatus> {
    const pid = this.postmasterPid();
    return {
      service: this.name,
      endpoint: this.endpoint,
      up: pid !== undefined,
      ...(pid !== undefined ? { pid } : {}),
    };
  }
}

/** Pids whose parent is `pid` (Linux `/proc`). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat, after the command in parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}
