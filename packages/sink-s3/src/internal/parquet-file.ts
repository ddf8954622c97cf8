/**
 * A Parquet file written one row group at a time (hyparquet-writer; ADR 0016): records are
 * checked against the user's schema and gathered into columns; every `rowGroupRows` records
 * become a row group whose bytes are handed on at once, so the writer holds at most one row
 * group of records. `finish` writes the last row group and the footer.
 */
import { ByteWriter, ParquetWriter, type SchemaElement } from "hyparquet-writer";

/** Column types a schema may use, as Parquet stores them. */
export const PARQUET_TYPES = [
  "BOOLEAN",
  "INT32",
  "INT64",
  "FLOAT",
  "DOUBLE",
  "STRING",
  "JSON",
  "TIMESTAMP",
] as const;
export type ParquetType = (typeof PARQUET_TYPES)[number];

export interface ParquetColumn {
  /** The record's field, and the column's name. */
  readonly name: string;
  readonly type: ParquetType;
  /** The value may be null or absent. Default false: such a record is rejected. */
  readonly optional?: boolean;
}

const ELEMENTS: Record<ParquetType, Omit<SchemaElement, "name">> = {
  BOOLEAN: { type: "BOOLEAN" },
  INT32: { type: "INT32" },
  INT64: { type: "INT64" },
  FLOAT: { type: "FLOAT" },
  DOUBLE: { type: "DOUBLE" },
  STRING: { type: "BYTE_ARRAY", converted_type: "UTF8" },
  JSON: { type: "BYTE_ARRAY", converted_type: "JSON" },
  TIMESTAMP: { type: "INT64", converted_type: "TIMESTAMP_MILLIS" },
};

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** The value as the column stores it; throws saying why it does not fit. */
function columnValue(column: ParquetColumn, value: unknown): unknown {
  if (value === null || value === undefined) {
    if (column.optional) return null;
    throw new Error(`column "${column.name}" is required but the record has no value`);
  }
  const wrong = (what: string) =>
    new Error(
      `column "${column.name}" (${column.type}) needs ${what}, not ${JSON.stringify(value)?.slice(0, 60)}`,
    );
  switch (column.type) {
    case "BOOLEAN":
      if (typeof value !== "boolean") throw wrong("a boolean");
      return value;
    case "INT32":
      if (!Number.isInteger(value) || (value as number) < INT32_MIN || (value as number) > INT32_MAX)
        throw wrong("a 32-bit integer");
      return value;
    case "INT64":
      if (typeof value === "bigint") return value;
      if (!Number.isSafeInteger(value)) throw wrong("a bigint or a safe integer");
      return BigInt(value as number);
    case "FLOAT":
    case "DOUBLE":
      if (typeof value !== "number") throw wrong("a number");
      return value;
    case "STRING":
      if (typeof value !== "string") throw wrong("a string");
      return value;
    case "JSON":
      return value;
    case "TIMESTAMP":
      if (value instanceof Date && !Number.isNaN(value.getTime())) return BigInt(value.getTime());
      if (Number.isSafeInteger(value)) return BigInt(value as number);
      throw wrong("a Date or milliseconds since the epoch");
  }
}

/** The schema elements of a schema: the root, then one per column. */
export function parquetSchema(columns: readonly ParquetColumn[]): SchemaElement[] {
  return [
    { name: "root", num_children: columns.length },
    ...columns.map((c) => ({
      name: c.name,
      ...ELEMENTS[c.type],
      repetition_type: c.optional ? ("OPTIONAL" as const) : ("REQUIRED" as const),
    })),
  ];
}

/** A record's values, checked against the schema. */
export interface ParquetRow {
  readonly values: readonly unknown[];
}

/** The record's values of the schema's columns; throws saying which value does not fit. */
export function parquetRow(schema: readonly ParquetColumn[], record: unknown): ParquetRow {
  return { values: schema.map((c) => columnValue(c, (record as Record<string, unknown>)?.[c.name])) };
}

export class ParquetFile {
  private readonly bytes: ByteWriter;
  private readonly writer: ParquetWriter;
  private columns: unknown[][];
  private rows = 0;

  constructor(
    private readonly schema: readonly ParquetColumn[],
    private readonly rowGroupRows: number,
    /** Receives the file's bytes in order: the magic, each row group, the footer. */
    emit: (bytes: Buffer) => void,
  ) {
    this.bytes = new ByteWriter();
    const bytes = this.bytes;
    // Hand on what a row group (or the footer) wrote and start the buffer over; offsets stay absolute.
    const handOn = () => {
      if (bytes.index === 0) return;
      emit(Buffer.from(bytes.buffer.slice(0, bytes.index)));
      bytes.index = 0;
    };
    Object.assign(bytes, { flush: handOn, finish: handOn });
    this.writer = new ParquetWriter({ writer: bytes, schema: parquetSchema(schema) });
    this.columns = schema.map(() => []);
  }

  /** Adds a row of {@link parquetRow}; a row group is written once it is full. */
  push(row: ParquetRow): void {
    for (const [i, value] of row.values.entries()) this.columns[i]?.push(value);
    if (++this.rows >= this.rowGroupRows) this.writeRowGroup();
  }

  /** Writes the last row group and the footer. */
  finish(): void {
    if (this.rows > 0) this.writeRowGroup();
    void this.writer.finish();
  }

  private writeRowGroup(): void {
    // Booleans PLAIN: hyparquet-writer would RLE-encode them, which some readers misread (ADR 0016).
    const columnData = this.schema.map((c, i) => ({
      name: c.name,
      data: this.columns[i] as unknown[],
      ...(c.type === "BOOLEAN" ? { encoding: "PLAIN" as const } : {}),
    }));
    void this.writer.write({ columnData: columnData as never, rowGroupSize: this.rows });
    this.columns = this.schema.map(() => []);
    this.rows = 0;
  }
}
