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

/** The names of the transaction `<prefix>-<subtask>-<attempt>-<checkpoint>`. */
export function fileNames(transaction: string): { pending: string; final: string } {
  return { pending: `.${transaction}${SUFFIX}${IN_PROGRESS}`, final: `${transaction}${SUFFIX}` };
}

/** Matches in-progress files of any transaction under the sink prefix. */
export function inProgressPattern(sinkPrefix: string): RegExp {
  const escaped = sinkPrefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^\\.${escaped}-\\d+-[0-9a-f]+-\\d+\\${SUFFIX}\\${IN_PROGRESS}$`);
}
