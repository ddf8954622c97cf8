/**
 * A pre-committed file: written, fsynced and hidden (dot-prefixed) in the output directory.
 * Committing renames it to its visible name. Version 2 names the directory, so a restore
 * into another output directory still commits (or finds committed) the restored files
 * where they were written; version 1 lacked it and meant the committer's directory.
 */
export const FILE_COMMITTABLE_VERSION = 2;

export type FileCommittable = {
  /** Absolute output directory the file was written in (absent in version 1: the sink's directory). */
  readonly directory?: string;
  /** Hidden in-progress file name, relative to the output directory. */
  readonly pending: string;
  /** Visible file name once committed. */
  readonly final: string;
  readonly records: number;
};

const SUFFIX = ".jsonl";
const IN_PROGRESS = ".inprogress";

/** The file names of the transaction (an attempt name, `SinkNames.attempt`). */
export function fileNames(transaction: string): { pending: string; final: string } {
  return { pending: `.${transaction}${SUFFIX}${IN_PROGRESS}`, final: `${transaction}${SUFFIX}` };
}

/** The transaction an in-progress file belongs to, or undefined for any other file name. */
export function inProgressTransaction(fileName: string): string | undefined {
  return fileName.startsWith(".") && fileName.endsWith(`${SUFFIX}${IN_PROGRESS}`)
    ? fileName.slice(1, -(SUFFIX.length + IN_PROGRESS.length))
    : undefined;
}

/** The transaction a committable proves. */
export function transactionOf(committable: FileCommittable): string {
  return committable.final.slice(0, -SUFFIX.length);
}

/** What the sink adds around a transaction name: the dot and the in-progress suffix. */
export const FILE_NAME_DECORATION_BYTES = 1 + SUFFIX.length + IN_PROGRESS.length;
