/**
 * Connections of the sink: every session (writer, committer, lingering cleanup, prefix claim)
 * is its own `pg.Client`, never a pool, so a prepared transaction's commit never queues behind
 * the writer's next transaction. A client that cannot connect is one clear line; a lost
 * connection is recognised so a commit can be retried from a new one.
 */
import pg from "pg";
import { PostgresError } from "../errors.js";

export interface ConnectionSettings {
  readonly connectionString: string;
  readonly connectTimeoutMs: number;
}

/** host:port/database of a connection string, without credentials, for messages and the target identity. */
export function serverLabel(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.hostname || "localhost"}:${url.port || "5432"}${url.pathname || "/"}`;
  } catch {
    return "(unparsable connection string)";
  }
}

/** SQLSTATE of a server that is starting up, shutting down or recovering from a crash. */
const CANNOT_CONNECT_NOW = "57P03";
const RECONNECT_PAUSE_MS = 250;

/**
 * A connected client; `role` names the session in messages and in `pg_stat_activity`. A server
 * that refuses connections or is starting up or shutting down (a restart) is tried again until
 * `connectTimeoutMs` has passed; anything else (authentication, a missing database) fails at once.
 */
export async function connect(settings: ConnectionSettings, role: string): Promise<pg.Client> {
  const deadline = Date.now() + settings.connectTimeoutMs;
  for (;;) {
    const client = new pg.Client({
      connectionString: settings.connectionString,
      connectionTimeoutMillis: Math.max(1, deadline - Date.now()),
      application_name: `berth ${role}`.slice(0, 63),
    });
    // A connection lost while idle is reported here; the next query on it fails and says so.
    client.on("error", () => {});
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => {});
      const restarting =
        sqlState(error) === CANNOT_CONNECT_NOW || (error as { code?: unknown }).code === "ECONNREFUSED";
      if (restarting && Date.now() + RECONNECT_PAUSE_MS < deadline) {
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_PAUSE_MS));
        continue;
      }
      throw new PostgresError(
        "POSTGRES_UNREACHABLE",
        `postgres sink: cannot connect to ${serverLabel(settings.connectionString)} for the ${role}: ${describePgError(error)}; check that the server runs and the connection string (host, port, database, user) is right`,
        { cause: error },
      );
    }
  }
}

/** The SQLSTATE of a server error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Whether the session is gone (network error, server shut down or restarting, connection
 * terminated): the statement's effect is unknown and a new connection may succeed.
 */
export function isConnectionLost(error: unknown): boolean {
  const state = sqlState(error);
  if (state !== undefined) return state.startsWith("08") || state.startsWith("57P");
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return true; // ECONNRESET, ECONNREFUSED, EPIPE…
  return /Connection terminated|not queryable|Client has encountered a connection error/i.test(
    (error as Error | null)?.message ?? "",
  );
}

export function describePgError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as Error & { code?: string; detail?: string; constraint?: string; column?: string };
  const parts = [e.message || e.code || "unknown error"];
  if (e.detail) parts.push(e.detail);
  if (sqlState(error)) parts.push(`SQLSTATE ${e.code}`);
  return parts.join("; ");
}
