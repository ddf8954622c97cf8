/** Options of a conformance run, with their defaults. */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestkitError } from "../errors.js";
import type { ConformanceCaseName, ConformanceSubsetName } from "./case-names.js";

export interface SinkConformanceOptions {
  /**
   * The module exporting the {@link SinkConformanceFactory}, e.g.
   * `new URL("./my-sink.conformance.ts", import.meta.url)`. A module, not an object, because
   * crash cases load it again in the child processes they kill.
   */
  readonly factoryModule: URL | string;
  /** The export holding the factory. Default `"default"`. */
  readonly factoryExport?: string;
  /** Name of the sink in reports. Default: the suite name, or the module's file name (and export). */
  readonly name?: string;
  /** Records per job (the sequence 0…records-1). Default 2000. */
  readonly records?: number;
  /** Source rate in records per second, so checkpoints happen mid-run. Default 1500. */
  readonly ratePerSecond?: number;
  /** Periodic checkpoint interval. Default 150 ms. */
  readonly checkpointIntervalMs?: number;
  /** Sink parallelism of every case but the rescale ones. Default 2. */
  readonly sinkParallelism?: number;
  /** How long a commit may answer *retry later* before it counts as failed. Default 20 s. */
  readonly commitDeadlineMs?: number;
  /** Run only these cases. Default: all (or `subset`). */
  readonly only?: readonly ConformanceCaseName[];
  /** Run a named subset (`"core"`: every crash case, lingering cleanup, rescale), for secondary variants of a sink. */
  readonly subset?: ConformanceSubsetName;
  /** Cases not to run, each with the reason (shown as the skip note). */
  readonly skip?: Partial<Record<ConformanceCaseName, string>>;
  /** Where cases make their work directories. Default `<os tmpdir>/berth-conformance`. */
  readonly workDirectory?: string;
  /** When to keep a case's work directory and targets for inspection. Default `"on-failure"`. */
  readonly keepWorkDirectories?: "on-failure" | "always" | "never";
  /** Time limit of one case. Default 90 s. */
  readonly caseTimeoutMs?: number;
  /** Extra environment of the child job processes (e.g. credentials of the target). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ResolvedOptions {
  readonly factoryModule: string;
  readonly factoryExport: string;
  readonly name: string;
  readonly records: number;
  readonly ratePerSecond: number;
  readonly checkpointIntervalMs: number;
  readonly sinkParallelism: number;
  readonly commitDeadlineMs: number;
  readonly workDirectory: string;
  readonly keepWorkDirectories: "on-failure" | "always" | "never";
  readonly caseTimeoutMs: number;
  readonly env: Readonly<Record<string, string>>;
}

export function resolveOptions(options: SinkConformanceOptions): ResolvedOptions {
  const factoryModule =
    options.factoryModule instanceof URL ? options.factoryModule.href : options.factoryModule;
  const factoryExport = options.factoryExport ?? "default";
  const file = (factoryModule.split("/").pop() ?? factoryModule).replace(/\.[cm]?[jt]s$/, "");
  const records = options.records ?? 2000;
  if (!Number.isInteger(records) || records < 100) {
    throw new TestkitError("TESTKIT_MISUSE", `conformance kit: records ${records} must be an integer ≥ 100`);
  }
  return {
    factoryModule,
    factoryExport,
    name: options.name ?? (factoryExport === "default" ? file : `${file}#${factoryExport}`),
    records,
    ratePerSecond: options.ratePerSecond ?? 1500,
    checkpointIntervalMs: options.checkpointIntervalMs ?? 150,
    sinkParallelism: options.sinkParallelism ?? 2,
    commitDeadlineMs: options.commitDeadlineMs ?? 20_000,
    workDirectory: options.workDirectory ?? join(tmpdir(), "berth-conformance"),
    keepWorkDirectories: options.keepWorkDirectories ?? "on-failure",
    caseTimeoutMs: options.caseTimeoutMs ?? 90_000,
    env: options.env ?? {},
  };
}
