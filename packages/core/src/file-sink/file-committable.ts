/**
 * A pre-committed file: written, fsynced and hidden (dot-prefixed) in the output directory.
 * Committing renames it to its visible name. Version 1.
 */
export const FILE_COMMITTABLE_VERSION = 1;

export type FileCommittable = {
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
