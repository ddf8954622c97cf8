import type { ParquetColumn } from "./parquet-file.js";

/**
 * How records become lines of an object: JSON Lines (the serializer's line per record) or CSV
 * (RFC 4180: a header line of the columns at the top of every object, then one row per record;
 * a field holding `,`, `"`, CR or LF is quoted, its quotes doubled).
 */
export interface RecordFormat<T> {
  readonly kind: "lines";
  /** The extension without `.gz`: `.jsonl`, `.csv`. */
  readonly extension: string;
  readonly contentType: string;
  /** The first line of every object (with its newline), or "" for none. */
  readonly header: string;
  /** One record as a line without the newline; throws what the serializer throws. */
  line(record: T): string;
}

export function jsonLines<T>(serializer: (record: T) => string): RecordFormat<T> {
  return {
    kind: "lines",
    extension: ".jsonl",
    contentType: "application/x-ndjson",
    header: "",
    line: serializer,
  };
}

function csvField(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Each row holds the record's values of `columns`, in order; an absent value is an empty field, an object its JSON. */
export function csv<T>(columns: readonly string[], header: boolean): RecordFormat<T> {
  return {
    kind: "lines",
    extension: ".csv",
    contentType: "text/csv",
    header: header ? `${columns.map(csvField).join(",")}\n` : "",
    line: (record) => columns.map((c) => csvField((record as Record<string, unknown>)[c])).join(","),
  };
}

/** Parquet (`.parquet`): the records' values of the schema's columns, a row group every `rowGroupRows` records. */
export interface ParquetFormat {
  readonly kind: "parquet";
  readonly extension: ".parquet";
  readonly contentType: string;
  readonly schema: readonly ParquetColumn[];
  readonly rowGroupRows: number;
}

export function parquet(schema: readonly ParquetColumn[], rowGroupRows: number): ParquetFormat {
  return {
    kind: "parquet",
    extension: ".parquet",
    contentType: "application/vnd.apache.parquet",
    schema,
    rowGroupRows,
  };
}
