/**
 * What a connector author writes to put a sink through the conformance kit: a module whose
 * export (default, or a named one) is a {@link SinkConformanceFactory}. The kit loads the
 * module in the test process and in the child processes it kills, so everything a child
 * needs travels as the JSON-serializable target settings.
 */
import type { Json, Sink } from "@berth/core/connector";
import { TestkitError } from "../errors.js";

/** The record every conformance pipeline writes: its number in the sequence. */
export interface ConformanceRecord {
  readonly seq: number;
}

/** Where a case's target lives on the local disk (scratch space for the author's use). */
export interface TargetContext {
  /** Unique per target, `[a-z0-9-]`; use it to name a topic, table, bucket prefix… */
  readonly id: string;
  /** An empty directory owned by this target; removed with the case's work directory. */
  readonly workDirectory: string;
}

/** A target instance of the author's own, started for one case that restarts it. */
export interface PrivateTarget<S> {
  /** Settings of a fresh target on this private instance. */
  readonly target: S;
  /** Restarts the instance (stop, then start on the same port and data); resolves once it serves again. */
  restart(): Promise<void>;
  /** Stops the instance and frees its resources. */
  stop(): Promise<void>;
}

/**
 * The sink under test and its target.
 *
 * @typeParam S Target settings (a directory, brokers + topic, a URL + table…). Must survive
 *   `JSON.stringify`: the kit hands them to child processes.
 * @typeParam C The sink's committable.
 */
export interface SinkConformanceFactory<S extends object = Record<string, unknown>, C extends Json = Json> {
  /** Creates an empty target for one case (a directory, a topic, a table…). */
  createTarget(context: TargetContext): Promise<S>;
  /**
   * The sink writing into `target`. Called in the test process and in child processes,
   * once per job run. The kit sets the sink prefix; the sink must not add a per-run part.
   */
  createSink(target: S): Sink<ConformanceRecord, C>;
  /**
   * The `seq` of every record the target holds as **committed** (what a reader with
   * read-committed isolation sees), one entry per copy: a duplicated record appears twice.
   */
  readCommitted(target: S): Promise<ReadonlyArray<number | ConformanceRecord>>;
  /** Removes the target after a passing case (optional). */
  dropTarget?(target: S): Promise<void>;
  /**
   * Names of transactions the target still holds open or pre-committed whose name merely
   * starts with the string `sinkPrefix` — a plain string test, never the core's or the sink's
   * name parser, so the verdict does not rest on the code under test (optional). When given, the kit checks that lingering transactions of a crashed run
   * are cleaned up at start and that a finished job leaves none.
   */
  lingeringTransactions?(target: S, sinkPrefix: string): Promise<string[]>;
  /**
   * How many transaction names one writer subtask cycles through before it must reuse one
   * (optional; a sink with a bounded pool sets it, e.g. Kafka's transactional ids per subtask).
   * The checkpoints-fail-after-pre-commit case fails more checkpoints in a row than this, so
   * every name is pre-committed and waits for a commit no completed checkpoint allows yet.
   */
  readonly transactionPoolSize?: number;
  /**
   * Starts a private instance of the target for the target-restart case (optional; the
   * case is skipped without it). Never the shared instance other tests use.
   */
  startPrivateTarget?(context: TargetContext): Promise<PrivateTarget<S>>;
}

/** Identity function that types a factory; `export default defineSinkConformance({...})`. */
export function defineSinkConformance<S extends object, C extends Json = Json>(
  factory: SinkConformanceFactory<S, C>,
): SinkConformanceFactory<S, C> {
  return factory;
}

/** Loads the factory a module exports (`default` unless `exportName` is given). */
export async function loadSinkFactory(
  module: URL | string,
  exportName = "default",
): Promise<SinkConformanceFactory<object, Json>> {
  const href = module instanceof URL ? module.href : module;
  const loaded = (await import(href)) as Record<string, unknown>;
  const factory = loaded[exportName] as Partial<SinkConformanceFactory<object, Json>> | undefined;
  for (const method of ["createTarget", "createSink", "readCommitted"] as const) {
    if (typeof factory?.[method] !== "function") {
      throw new TestkitError(
        "TESTKIT_MISUSE",
        `conformance kit: export "${exportName}" of ${href} is not a sink conformance factory (no ${method}()); export defineSinkConformance({ createTarget, createSink, readCommitted })`,
      );
    }
  }
  return factory as SinkConformanceFactory<object, Json>;
}
