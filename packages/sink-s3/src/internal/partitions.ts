/**
 * Hive-style partition folders, `k1=v1/k2=v2/`, from the values a record maps to (in the
 * order given). Names and values are escaped by Hive's rules (`FileUtils.escapePathName`:
 * control characters, DEL and each of `" # % ' * / : = ? \ { [ ] ^` become `%XX`), an empty
 * value is Hive's `__HIVE_DEFAULT_PARTITION__`, and every segment holds a `=`, so none is ever `..`.
 */
export type PartitionValues = Readonly<Record<string, string | number>>;

// biome-ignore lint/suspicious/noControlCharactersInRegex: Hive escapes control characters, so this must match them.
const HIVE_ESCAPED = /[\x00-\x1F"#%'*/:=?\\\x7F{[\]^]/g;

function hiveEscape(text: string): string {
  return text.replace(HIVE_ESCAPED, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

export function partitionPath(values: PartitionValues): string {
  return Object.entries(values)
    .map(([name, value]) => {
      const text = String(value);
      return `${hiveEscape(name)}=${text === "" ? "__HIVE_DEFAULT_PARTITION__" : hiveEscape(text)}/`;
    })
    .join("");
}
