/**
 * PostgreSQL is not started here: the machine runs one (on this kind of machine, 127.0.0.1:5432
 * with trust auth). `start` makes it ready for the Postgres sink: two-phase commit enabled
 * (`max_prepared_transactions` > 0, which needs a server restart) and the database present.
 * `pg` is an optional peer dependency, loaded only when this runs.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { promisify } from "node:util";
import type pg from "pg";
import { sleep } from "./processes.js";
import type { ProgressLog, ServiceInstance, ServiceStatus, StartResult, StopResult } from "./service.js";
import { ServiceError } from "./service-error.js";

const run = promisify(execFile);

/** What `up` sets when the server has two-phase commit off. */
export const WANTED_MAX_PREPARED_TRANSACTIONS = 128;

export interface ExistingPostgresOptions {
  /** The URL the suite uses (`PG_URL`); its database is created when missing. */
  connectionString: string;
  /** Restart a loopback server through `pg_ctlcluster` when a setting needs it. Default true. */
  allowRestart?: boolean;
  log?: ProgressLog;
}

function isLoopback(host: string): boolean {
  return (
    host === "" ||
    host === "localhost" ||
    host.startsWith("127.") ||
    host === "[::1]" ||
    host === "::1" ||
    host.startsWith("/")
  );
}

/** The major versions of Debian-style clusters on this machine (`/etc/postgresql/<ver>`). */
function localClusterVersions(): string[] {
  try {
    return existsSync("/etc/postgresql") ? readdirSync("/etc/postgresql").sort() : [];
  } catch {
    return [];
  }
}

export class ExistingPostgres implements ServiceInstance {
  readonly name = "postgres" as const;
  readonly endpoint: string;
  private readonly url: URL;
  private readonly database: string;
  private readonly allowRestart: boolean;
  private readonly log: ProgressLog;

  constructor(options: ExistingPostgresOptions) {
    this.endpoint = options.connectionString;
    this.url = new URL(options.connectionString);
    this.database = decodeURIComponent(this.url.pathname.replace(/^\//, "")) || "postgres";
    this.allowRestart = options.allowRestart ?? true;
    this.log = options.log ?? (() => {});
  }

  private get where(): string {
    return `${this.url.hostname || "localhost"}:${this.url.port || "5432"}`;
  }

  /** The same server, maintenance database `postgres`. */
  private adminUrl(): string {
    const admin = new URL(this.url.toString());
    admin.pathname = "/postgres";
    return admin.toString();
  }

  private async connect(url: string): Promise<pg.Client> {
    const { Client } = (await import("pg")).default;
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    return client;
  }

  private unreachable(error: unknown): ServiceError {
    const versions = localClusterVersions();
    const how =
      versions.length > 0
        ? `start it (pg_ctlcluster --skip-systemctl-redirect ${versions.at(-1)} main start)`
        : "start a PostgreSQL server (apt-get install postgresql)";
    return new ServiceError(
      "POSTGRES_UNAVAILABLE",
      this.name,
      `postgres: no server answers at ${this.where} (${(error as Error).message}); ${how}, or set PG_URL to a server you run`,
      { cause: error },
    );
  }

  async start(): Promise<StartResult> {
    const started = Date.now();
    const changes: string[] = [];
    let admin: pg.Client;
    try {
      admin = await this.connect(this.adminUrl());
    } catch (error) {
      throw this.unreachable(error);
    }
    try {
      const maxPrepared = Number(
        (await admin.query("SHOW max_prepared_transactions")).rows[0].max_prepared_transactions,
      );
      if (maxPrepared < 1) {
        await admin.end();
        await this.enablePreparedTransactions();
        changes.push("server restarted");
        admin = await this.connect(this.adminUrl());
      }
      const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [this.database]);
      if (exists.rowCount === 0) {
        try {
          await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(this.database)}`);
          changes.push(`database ${this.database} created`);
        } catch (error) {
          if ((error as { code?: string }).code !== "42P04") throw error; // created concurrently
        }
      }
      const setting = (await admin.query("SHOW max_prepared_transactions")).rows[0].max_prepared_transactions;
      return {
        service: this.name,
        endpoint: this.endpoint,
        outcome: changes.length > 0 ? "configured" : "already-running",
        ms: Date.now() - started,
        detail: [...changes, `max_prepared_transactions=${setting}`].join(", "),
      };
    } finally {
      await admin.end().catch(() => {});
    }
  }

  /** ALTER SYSTEM, then a restart through pg_ctlcluster (needs root or the postgres user). */
  private async enablePreparedTransactions(): Promise<void> {
    const client = await this.connect(this.adminUrl());
    let cluster: string;
    try {
      const superuser = (await client.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        .rows[0]?.rolsuper;
      if (!superuser) {
        throw new ServiceError(
          "POSTGRES_UNAVAILABLE",
          this.name,
          `postgres: max_prepared_transactions is 0 at ${this.where} and the user in PG_URL is no superuser; ask an admin to set max_prepared_transactions = ${WANTED_MAX_PREPARED_TRANSACTIONS} and restart the server`,
        );
      }
      await client.query(`ALTER SYSTEM SET max_prepared_transactions = ${WANTED_MAX_PREPARED_TRANSACTIONS}`);
      const name = String((await client.query("SHOW cluster_name")).rows[0].cluster_name ?? "");
      const versionNum = Number((await client.query("SHOW server_version_num")).rows[0].server_version_num);
      // Debian names clusters '<major>/<name>'; fall back to '<major>/main'.
      cluster = name.includes("/") ? name : `${Math.floor(versionNum / 10_000)}/${name || "main"}`;
    } finally {
      await client.end().catch(() => {});
    }
    const [version, clusterName] = cluster.split("/") as [string, string];
    const command = `pg_ctlcluster --skip-systemctl-redirect ${version} ${clusterName} restart`;
    if (!this.allowRestart || !isLoopback(this.url.hostname)) {
      throw new ServiceError(
        "POSTGRES_UNAVAILABLE",
        this.name,
        `postgres: max_prepared_transactions was 0 at ${this.where}; it is now set to ${WANTED_MAX_PREPARED_TRANSACTIONS} but takes effect only after a server restart (on the server: ${command})`,
      );
    }
    this.log(`postgres: enabling two-phase commit: ${command}`);
    try {
      await run("pg_ctlcluster", ["--skip-systemctl-redirect", version, clusterName, "restart"], {
        timeout: 120_000,
      });
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new ServiceError(
        "POSTGRES_UNAVAILABLE",
        this.name,
        `postgres: the restart needed for max_prepared_transactions failed (${(e.stderr || e.message).trim()}); run '${command}' as root or the postgres user`,
        { cause: error },
      );
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const c = await this.connect(this.adminUrl());
        await c.end();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw this.unreachable(error);
        await sleep(250);
      }
    }
  }

  async stop(): Promise<StopResult> {
    return { service: this.name, outcome: "left-running", detail: "not started by 'services up'" };
  }

  async status(): Promise<ServiceStatus> {
    const base = { service: this.name, endpoint: this.endpoint };
    let client: pg.Client;
    try {
      client = await this.connect(this.endpoint);
    } catch (error) {
      return { ...base, up: false, detail: (error as Error).message };
    }
    try {
      const maxPrepared = (await client.query("SHOW max_prepared_transactions")).rows[0]
        .max_prepared_transactions;
      const prepared = (await client.query("SELECT count(*)::int AS n FROM pg_prepared_xacts")).rows[0].n;
      const up = Number(maxPrepared) > 0;
      return {
        ...base,
        up,
        detail: `max_prepared_transactions=${maxPrepared}${up ? "" : " (run 'pnpm services up')"}, prepared now: ${prepared}`,
      };
    } finally {
      await client.end().catch(() => {});
    }
  }
}
