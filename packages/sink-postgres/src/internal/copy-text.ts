/**
 * PostgreSQL's COPY text format (`COPY … FROM STDIN`, tab-delimited): one line per row,
 * `\N` for NULL, and backslash, tab, newline and carriage return escaped with a backslash
 * so a value can never end its field or row early. A NUL character has no text form in
 * PostgreSQL and is refused.
 */

/** What a column mapping may hand the sink for one column. */
export type ColumnValue =
  | null
  | undefined
  | string
  | number
  | bigint
  | boolean
  | Date
  | Uint8Array
  | readonly unknown[]
  | { readonly [key: string]: unknown };

/** Why a value has no COPY text form; the writer names the record and column around it. */
export class CopyValueError extends Error {}

const SPECIAL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** A string as one COPY text field: escaped, NUL refused. */
export function escapeCopyText(text: string): string {
  if (text.includes("\0"))
    throw new CopyValueError("holds a NUL character (U+0000), which PostgreSQL text cannot store");
  return text.replace(SPECIAL, (c) => ESCAPES[c] as string);
}

/**
 * One value as a COPY text field. Numbers and bigints in decimal (NaN and ±Infinity as
 * PostgreSQL spells them), booleans `t`/`f`, dates as ISO 8601 in UTC, bytes in bytea hex
 * form, arrays and other objects as JSON (for json/jsonb columns).
 */
export function copyField(value: ColumnValue): string {
  if (value === null || value === undefined) return "\\N";
  switch (typeof value) {
    case "string":
      return escapeCopyText(value);
    case "number":
      if (Number.isNaN(value)) return "NaN";
      if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
      return String(value);
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "t" : "f";
    default:
      break;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new CopyValueError("is an invalid Date");
    return value.toISOString();
  }
  // bytea's hex form is `\x…`; its backslash is escaped like any other.
  if (value instanceof Uint8Array)
    return `\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`;
  const json = JSON.stringify(value);
  if (json === undefined) throw new CopyValueError(`is a ${typeof value}, which has no column value`);
  return escapeCopyText(json);
}

/** One row: the fields tab-joined, newline-terminated. */
export function copyLine(values: readonly ColumnValue[]): string {
  return `${values.map(copyField).join("\t")}\n`;
}
