/**
 * The sink's claim on its prefix at the server (the contract's `claimPrefix`): a session-level
 * advisory lock, on a session of its own, keyed by a hash of the prefix. While one job holds it,
 * another job with the same prefix on the same database — on any machine — is refused before it
 * commits, rolls back or writes anything. The server releases the lock when the holder's session
 * ends, so a killed job's claim is gone at once — and so does a server restart: the job takes
 * it again at its next start (`ensureHeld`, from the failover the restart causes), or is refused
 * if another job took it meanwhile. `berth postgres transactions` takes the same claim while it works.
 */
import { createHash } from "node:crypto";
import { type PrefixClaim, SinkPrefixInUseError } from "@berth/core/connector";
import type pg from "pg";
import { type ConnectionSettings, connect, serverLabel } from "./connection.js";

/** The advisory lock key of a prefix: 64 bits of SHA-256, as a signed bigint. */
export function claimKey(prefix: string): string {
  return createHash("sha256").update(`berth sink prefix\0${prefix}`).digest().readBigInt64BE(0).toString();
}

/** A held claim: its session, which holds the lock. */
export interface PostgresPrefixClaim extends PrefixClaim {
  /** Takes the lock again when its session is gone (a server restart ended it); throws `SinkPrefixInUseError` if another job holds it now. */
  ensureHeld(): Promise<void>;
}

/** Claims `prefix` on the database, or throws `SinkPrefixInUseError` naming the server session that holds it. */
export async function claimPrefixAt(
  settings: ConnectionSettings,
  prefix: string,
): Promise<PostgresPrefixClaim> {
  let client = await lock(settings, prefix);
  return {
    async ensureHeld() {
      try {
        await client.query("SELECT 1");
        return;
      } catch {
        // The session is gone, and the server dropped its lock with it.
      }
      await client.end().catch(() => undefined);
      client = await lock(settings, prefix);
    },
    async release() {
      await client.end().catch(() => undefined);
    },
  };
}

/** A session holding the prefix's advisory lock. */
async function lock(settings: ConnectionSettings, prefix: string): Promise<pg.Client> {
  const client = await connect(settings, `sink prefix claim ${prefix}`);
  const key = claimKey(prefix);
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      "SELECT pg_try_advisory_lock($1::bigint) AS locked",
      [key],
    );
    if (rows[0]?.locked) return client;
    // pg_locks shows a bigint key as its high and low 32 bits (classid, objid).
    const bits = BigInt.asUintN(64, BigInt(key));
    const holder = await client.query<{ pid: number; application_name: string; client_addr: string | null }>(
      `SELECT a.pid, a.application_name, a.client_addr::text AS client_addr
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid = $1::oid AND l.objid = $2::oid
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        LIMIT 1`,
      [(bits >> 32n).toString(), (bits & 0xffffffffn).toString()],
    );
    const h = holder.rows[0];
    throw new SinkPrefixInUseError(
      prefix,
      `its advisory lock ${key} on ${serverLabel(settings.connectionString)}`,
      h
        ? `another live job (server session ${h.pid}, ${h.application_name}${h.client_addr ? ` from ${h.client_addr}` : ""})`
        : "another live job",
    );
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}
