/**
 * A pre-committed file: written, fsynced and hidden (dot-prefixed) in the output directory.
 * Committing renames it to its visible name. Version 2 names the directory, so a restore
 * into another output directory still commits (or finds committed) the restored files
 * where they were written; version 1 lacked it and meant the sink's directory, which parsing
 * fills in.
 */
import { z } from "zod";
import { BerthError } from "../errors.js";
import type { VersionedCodec } from "../sink/codec.js";
import { parseWith } from "../validation.js";

export const FILE_COMMITTABLE_VERSION = 2;

const fileCommittable = z.object({
  /** Absolute output directory the file was written in. */
  directory: z.string().min(1),
  /** Hidden in-progress file name, relative to the output directory. */
  pending: z.string().min(1),
  /** Visible file name once committed. */
  final: z.string().min(1),
  records: z.number().int().nonnegative(),
});

export type FileCommittable = {
  readonly directory: string;
  readonly pending: string;
  readonly final: string;
  readonly records: number;
};

/** Reads version 1 (`directory` = the sink's `directory`) and version 2. */
export function fileCommittableCodec(directory: string): VersionedCodec<FileCommittable> {
  return {
    version: FILE_COMMITTABLE_VERSION,
    parse(version, stored) {
      if (version !== 1 && version !== FILE_COMMITTABLE_VERSION)
        throw new BerthError(
          "RESTORE_FAILED",
          `file sink: committables of version ${version} are unknown to this release, which reads versions 1 and ${FILE_COMMITTABLE_VERSION}`,
        );
      const value =
        version === 1 && typeof stored === "object" && stored !== null ? { directory, ...stored } : stored;
      return parseWith(fileCommittable, value, (problems, cause) => {
        return new BerthError(
          "RESTORE_FAILED",
          `file sink: committable ${JSON.stringify(stored)}: ${problems}`,
          {
            cause,
          },
        );
      });
    },
  };
}

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
