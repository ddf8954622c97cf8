/**
 * The sink's claim on its prefix at the server: a session-level advisory lock, on a session of
 * its own, keyed by a hash of the prefix. While one job holds it, another job with the same
 * prefix on the same database — on any machine — is refused before it commits, rolls back or
 * writes anything. The server releases the lock when the holder's session ends, so a killed
 * job's claim is gone at once.
 *
 * The claim is held while any session of the sink (committer, writer, lingering cleanup) is
 * open in this process, and released when the last one closes, so a later job in the same
 * process (a restore after a stop) can claim it again.
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import { PostgresError } from "../errors.js";
import { type ConnectionSettings, connect, serverLabel } from "./connection.js";

/** The advisory lock key of a prefix: 64 bits of SHA-256, as a signed bigint. */
export function claimKey(prefix: string): string {
  return createHash("sha256").update(`berth sink prefix\0${prefix}`).digest().readBigInt64BE(0).toString();
}

export class PrefixClaim {
  private session: Promise<pg.Client> | undefined;
  private holders = 0;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly prefix: string,
  ) {}

  /** Takes (or keeps) the claim for one more holder; refuses when another session holds the prefix. */
  async retain(): Promise<void> {
    this.holders++;
    try {
      this.session ??= this.lock();
      await this.session;
    } catch (error) {
      this.session = undefined;
      this.holders--;
      throw error;
    }
  }

  /** One holder is done; the last one ends the claim's session (and so the lock). */
  async release(): Promise<void> {
    this.holders = Math.max(0, this.holders - 1);
    if (this.holders > 0 || !this.session) return;
    const session = this.session;
    this.session = undefined;
    await (await session.catch(() => undefined))?.end().catch(() => undefined);
  }

  private async lock(): Promise<pg.Client> {
    const client = await connect(this.settings, `sink prefix claim ${this.prefix}`);
    const key = claimKey(this.prefix);
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock($1::bigint) AS locked",
        [key],
      );
      if (rows[0]?.locked) return client;
      // pg_locks shows a bigint key as its high and low 32 bits (classid, objid).
      const bits = BigInt.asUintN(64, BigInt(key));
      const holder = await client.query<{
        pid: number;
        application_name: string;
        client_addr: string | null;
      }>(
        `SELECT a.pid, a.application_name, a.client_addr::text AS client_addr
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid = $1::oid AND l.objid = $2::oid
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          LIMIT 1`,
        [(bits >> 32n).toString(), (bits & 0xffffffffn).toString()],
      );
      const h = holder.rows[0];
      throw new PostgresError(
        "POSTGRES_SINK_PREFIX_IN_USE",
        `postgres sink: sink prefix "${this.prefix}" is held by another live job on ${serverLabel(this.settings.connectionString)}${h ? ` (server session ${h.pid}, ${h.application_name}${h.client_addr ? ` from ${h.client_addr}` : ""})` : ""}; stop that job first, or give this sink another sinkPrefix`,
      );
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }
}
