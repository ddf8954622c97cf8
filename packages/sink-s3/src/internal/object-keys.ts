/**
 * Object keys (DESIGN.md, "Names that prove a commit"): `<base>/<partitions>/<attempt name>-<seq>.<ext>`,
 * where the attempt name is the core's `SinkNames.attempt` (`<prefix>-<subtask>-<attempt>-<chk>`)
 * and `seq` numbers the objects of one transaction (one per partition). The file name starts with the sink prefix;
 * the key is parsed back by splitting off `-<seq>.<ext>` and handing the rest to the core's
 * parser, so prefix `a` never claims a key of prefix `a-b`.
 */
import type { AttemptName, SinkNames } from "@berth/core/connector";

/** S3's longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** Digits of the largest sequence number within one transaction. */
const MAX_SEQ_DIGITS = 9;

/** What follows an attempt name in a file name: `-<seq>.<ext>`; `ext` holds no `-`. */
const FILE_NAME = /^(.+)-(0|[1-9][0-9]{0,8})\.[a-z][a-z0-9.]*$/;

export class ObjectKeys {
  /** `<base>/`, or `""` for the bucket root: every key of the sink starts with it. */
  readonly listPrefix: string;

  constructor(
    base: string,
    /** The extension with its dot: `.jsonl`, `.csv.gz`… */
    readonly extension: string,
  ) {
    this.listPrefix = base === "" ? "" : `${base}/`;
  }

  /** Bytes the key adds around the attempt name (base, `-<seq>`, extension): `Sink.maxNameBytes` is what is left. */
  get maxAttemptNameBytes(): number {
    return (
      MAX_KEY_BYTES -
      Buffer.byteLength(this.listPrefix) -
      1 -
      MAX_SEQ_DIGITS -
      Buffer.byteLength(this.extension)
    );
  }

  /** `partition` is a partition folder path ending in `/`, or "". */
  key(names: SinkNames, attempt: AttemptName, seq: number, partition = ""): string {
    return `${this.listPrefix}${partition}${names.attempt(attempt)}-${seq}${this.extension}`;
  }

  /** The attempt name of a key under the base (whatever its extension), or undefined for any other key. */
  attemptNameOf(key: string): string | undefined {
    if (!key.startsWith(this.listPrefix)) return undefined;
    const fileName = key.slice(key.lastIndexOf("/") + 1);
    return FILE_NAME.exec(fileName)?.[1];
  }
}
