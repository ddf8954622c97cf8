/**
 * How records become lines of an object: JSON Lines (the serializer's line per record) or CSV
 * (RFC 4180: a header line of the columns at the top of every object, then one row per record;
 * a field holding `,`, `"`, CR or LF is quoted, its quotes doubled).
 */
export interface RecordFormat<T> {
  /** The extension without `.gz`: `.jsonl`, `.csv`. */
  readonly extension: string;
  readonly contentType: string;
  /** The first line of every object (with its newline), or "" for none. */
  readonly header: string;
  /** One record as a line without the newline; throws what the serializer throws. */
  line(record: T): string;
}

export function jsonLines<T>(serializer: (record: T) => string): RecordFormat<T> {
  return { extension: ".jsonl", contentType: "application/x-ndjson", header: "", line: serializer };
}

function csvField(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Each row holds the record's values of `columns`, in order; an absent value is an empty field, an object its JSON. */
export function csv<T>(columns: readonly string[], header: boolean): RecordFormat<T> {
  return {
    extension: ".csv",
    contentType: "text/csv",
    header: header ? `${columns.map(csvField).join(",")}\n` : "",
    line: (record) => columns.map((c) => csvField((record as Record<string, unknown>)[c])).join(","),
  };
}
