/**
 * Names and literals spliced into SQL, always quoted: identifiers by doubling `"`, string
 * literals by pg's own escaping. Statements that cannot take bind parameters
 * (`PREPARE TRANSACTION`, `COMMIT PREPARED`, `ROLLBACK PREPARED`, DDL) use these.
 */
import pg from "pg";

/** A table, optionally schema-qualified; each part is quoted on its own. */
export type TableName = { readonly schema?: string; readonly name: string };

export function quoteIdentifier(name: string): string {
  return pg.escapeIdentifier(name);
}

export function quoteTable(table: TableName): string {
  return table.schema === undefined
    ? quoteIdentifier(table.name)
    : `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
}

export function quoteLiteral(text: string): string {
  return pg.escapeLiteral(text);
}

/** How a table is named in messages: `schema.name` or `name`. */
export function tableLabel(table: TableName): string {
  return table.schema === undefined ? table.name : `${table.schema}.${table.name}`;
}
