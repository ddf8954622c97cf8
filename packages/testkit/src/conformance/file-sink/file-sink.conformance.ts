/**
 * The local-file sink under the conformance kit: each target is an empty directory; what
 * is committed is every line of every visible file; what lingers is every hidden
 * in-progress file of the sink prefix.
 */
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileSink } from "@berth/core";
import { type ConformanceRecord, defineSinkConformance } from "../sink-factory.js";

export interface FileTarget {
  readonly directory: string;
}

/** Every record in the visible (committed) files of `directory`, one entry per copy. */
export async function readCommittedFiles(directory: string): Promise<ConformanceRecord[]> {
  const records: ConformanceRecord[] = [];
  for (const name of await readdir(directory)) {
    if (name.startsWith(".")) continue;
    const text = await readFile(join(directory, name), "utf8");
    for (const line of text.split("\n")) if (line) records.push(JSON.parse(line) as ConformanceRecord);
  }
  return records;
}

/**
 * Hidden files whose name merely starts with the sink prefix: open or pre-committed
 * transactions. A plain string test, not the core's name parser, so the kit's verdict on
 * leftovers does not rest on the code under test.
 */
export async function inProgressFiles(directory: string, sinkPrefix: string): Promise<string[]> {
  return (await readdir(directory)).filter((name) => name.startsWith(`.${sinkPrefix}`));
}

export default defineSinkConformance<FileTarget>({
  async createTarget({ workDirectory }) {
    const directory = join(workDirectory, "out");
    await mkdir(directory, { recursive: true });
    return { directory };
  },
  createSink: (target) => fileSink<ConformanceRecord>({ directory: target.directory }),
  readCommitted: (target) => readCommittedFiles(target.directory),
  lingeringTransactions: (target, sinkPrefix) => inProgressFiles(target.directory, sinkPrefix),
  dropTarget: (target) => rm(target.directory, { recursive: true, force: true }),
});
