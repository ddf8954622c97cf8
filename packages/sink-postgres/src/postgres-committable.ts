/**
 * A pre-committed transaction: the name it was prepared under (an attempt name of the sink
 * prefix) and what it holds, so a commit that finds it gone can name the rows lost. With
 * `staged`, the idempotent protocol: the rows wait in the staging table under that name.
 */
import type { Json, VersionedCodec } from "@berth/core/connector";
import { PostgresError } from "./errors.js";

export const POSTGRES_COMMITTABLE_VERSION = 1;

export type PostgresCommittable = {
  /** The transaction's gid in `pg_prepared_xacts` (`SinkNames.attempt`). */
  readonly gid: string;
  /** The table written, as the messages name it. */
  readonly table: string;
  /** Records written into the transaction (rows, or upserts and deletes). */
  readonly records: number;
  /** The idempotent protocol: committed rows in the staging table, applied by the commit. */
  readonly staged?: true;
  /**
   * When the transaction began, on the server's clock (epoch ms): compared with the prefix's
   * marker horizon when a commit finds no marker (ADR 0015). Absent in committables written
   * before marker retention existed.
   */
  readonly preparedAt?: number;
};

/** Version and parse step of the committable; the core runs `parse` once per stored value, at restore. */
export const postgresCommittableCodec: VersionedCodec<PostgresCommittable> = {
  version: POSTGRES_COMMITTABLE_VERSION,
  parse: parsePostgresCommittable,
};

/** Checks a stored committable of `version` and returns it in the current shape. */
function parsePostgresCommittable(version: number, stored: Json): PostgresCommittable {
  if (version !== POSTGRES_COMMITTABLE_VERSION) {
    throw new PostgresError(
      "POSTGRES_COMMITTABLE_INVALID",
      `postgres sink: the restore point holds committables of version ${version}, this Berth reads ${POSTGRES_COMMITTABLE_VERSION}; restore with the Berth that wrote it`,
    );
  }
  const c = stored as Partial<Record<keyof PostgresCommittable, unknown>> | null;
  if (
    typeof c?.gid !== "string" ||
    c.gid.length === 0 ||
    typeof c.table !== "string" ||
    typeof c.records !== "number" ||
    !Number.isInteger(c.records) ||
    (c.staged !== undefined && c.staged !== true) ||
    (c.preparedAt !== undefined && (typeof c.preparedAt !== "number" || !Number.isFinite(c.preparedAt)))
  ) {
    throw new PostgresError(
      "POSTGRES_COMMITTABLE_INVALID",
      `postgres sink: a restored committable is malformed (${JSON.stringify(stored)}); expected { gid, table, records, staged?, preparedAt? }`,
    );
  }
  return {
    gid: c.gid,
    table: c.table,
    records: c.records,
    ...(c.staged ? { staged: true as const } : {}),
    ...(c.preparedAt !== undefined ? { preparedAt: c.preparedAt } : {}),
  };
}
