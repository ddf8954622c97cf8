/**
 * The context one case runs in: its work directory and targets, jobs in this process or in
 * child processes, and the checks that turn what the target holds into failures naming
 * every lost, duplicated or unexpected seq.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Job, JobResult, Logger, Source } from "@berth/core";
import type { Json, Sink } from "@berth/core/connector";
import type { FaultPoint } from "@berth/core/testing";
import { TestkitError } from "../errors.js";
import type { ConformanceCaseName } from "./case-names.js";
import { type ChildRun, describeChild, runChildJob } from "./child-job.js";
import { buildConformanceJob, type RunSpec } from "./conformance-job.js";
import type { ResolvedOptions } from "./options.js";
import { type ConformanceFailure, describeDiff, diffSeqs, isClean, toSeqs } from "./report.js";
import type { RunnerSpec } from "./runner-protocol.js";
import type { ConformanceRecord, SinkConformanceFactory } from "./sink-factory.js";

/** Thrown to end a case early once a failure makes further checks meaningless. */
export class CaseAborted extends TestkitError {
  static override readonly marker: string = "berth.testkit/CaseAborted";

  constructor(message: string) {
    super("CASE_ABORTED", message);
  }
}

export interface InProcessRun {
  readonly job: Job;
  readonly result: Promise<JobResult>;
  /**
   * Resolves once `count` records went through the pipeline towards the sink, whatever the
   * machine's load; rejects if the job ends first.
   */
  afterRecords(count: number): Promise<void>;
  /** Records that went through the pipeline towards the sink so far. */
  seen(): number;
}

export class CaseRun {
  readonly failures: ConformanceFailure[] = [];
  readonly notes: string[] = [];
  readonly targets: object[] = [];
  private readonly tag = randomBytes(3).toString("hex");
  private jobs = 0;

  constructor(
    readonly name: ConformanceCaseName,
    readonly options: ResolvedOptions,
    readonly factory: SinkConformanceFactory<object, Json>,
    readonly workDirectory: string,
  ) {}

  /** A new, empty target. */
  async target(label = "target"): Promise<object> {
    const workDirectory = join(this.workDirectory, label);
    await mkdir(workDirectory, { recursive: true });
    const target = await this.factory.createTarget({
      id: `${this.name}-${label}-${this.tag}`,
      workDirectory,
    });
    this.targets.push(target);
    return target;
  }

  /** A sink prefix unique to this case run. */
  prefix(label = "a"): string {
    return `conf-${this.tag}-${label}`;
  }

  spec(overrides: Partial<RunSpec> = {}): RunSpec {
    return {
      jobId: `${this.name}-${this.tag}-${++this.jobs}`,
      checkpointDirectory: join(this.workDirectory, "checkpoints"),
      records: this.options.records,
      ratePerSecond: this.options.ratePerSecond,
      checkpointIntervalMs: this.options.checkpointIntervalMs,
      sinkParallelism: this.options.sinkParallelism,
      sinkPrefix: this.prefix(),
      restartAttempts: 3,
      commitDeadlineMs: this.options.commitDeadlineMs,
      ...overrides,
    };
  }

  get all(): Set<number> {
    return new Set(Array.from({ length: this.options.records }, (_, i) => i));
  }

  /**
   * Runs the job in this process; `sink` defaults to the factory's sink for `target`;
   * `wrapSource` may wrap the sequence source.
   */
  inProcess(
    target: object,
    spec: RunSpec,
    sink?: Sink<ConformanceRecord, Json>,
    logger?: Logger,
    wrapSource?: (source: Source<number>) => Source<number>,
  ): InProcessRun {
    let seen = 0;
    const waiting: { count: number; resolve: () => void }[] = [];
    const job = buildConformanceJob(
      sink ?? this.factory.createSink(target),
      spec,
      logger,
      () => {
        seen++;
        for (const w of waiting.filter((w) => seen >= w.count)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve();
        }
      },
      wrapSource,
    );
    const result = job.run();
    return {
      job,
      result,
      seen: () => seen,
      afterRecords: (count) =>
        new Promise<void>((resolve, reject) => {
          if (seen >= count) return resolve();
          waiting.push({ count, resolve });
          result.then((r) =>
            reject(
              new CaseAborted(
                `the job ended ${r.state} after ${seen} of the ${count} records the case waits for`,
              ),
            ),
          );
        }),
    };
  }

  /**
   * Runs the job in a child process, with `BERTH_FAULT=fault` when given; `control.stop` stops
   * it after some records, `control.signal` holds a start until the kit sends it SIGTERM.
   */
  child(
    target: object,
    spec: RunSpec,
    fault?: string,
    control: Pick<RunnerSpec, "stop" | "signal"> = {},
  ): Promise<ChildRun> {
    return runChildJob(
      {
        factoryModule: this.options.factoryModule,
        factoryExport: this.options.factoryExport,
        target,
        run: spec,
        ...control,
      },
      {
        ...(fault ? { fault } : {}),
        ...(control.signal ? { sigtermOn: "holding-start" as const } : {}),
        env: this.options.env,
        timeoutMs: Math.max(30_000, this.options.caseTimeoutMs - 10_000),
      },
    );
  }

  fail(phase: string, message: string, point?: FaultPoint): void {
    this.failures.push({
      phase,
      message,
      lost: [],
      duplicated: [],
      unexpected: [],
      ...(point ? { point } : {}),
    });
  }

  abort(phase: string, message: string, point?: FaultPoint): never {
    this.fail(phase, message, point);
    throw new CaseAborted(message);
  }

  async committed(target: object): Promise<number[]> {
    return toSeqs(await this.factory.readCommitted(target));
  }

  /**
   * Checks the target: no seq outside `mayHave`, none twice, and — when `mustHave` is given —
   * every seq of it present.
   */
  async check(
    phase: string,
    target: object,
    mayHave: ReadonlySet<number>,
    mustHave: ReadonlySet<number> | undefined,
    point?: FaultPoint,
  ): Promise<boolean> {
    const diff = diffSeqs(await this.committed(target), mayHave, mustHave);
    if (isClean(diff)) return true;
    this.failures.push({
      phase,
      message: describeDiff(diff),
      ...diff,
      ...(point ? { point } : {}),
    });
    return false;
  }

  /** Every record of the job committed exactly once. */
  checkAll(phase: string, target: object, point?: FaultPoint): Promise<boolean> {
    const all = this.all;
    return this.check(phase, target, all, all, point);
  }

  /** The job ended FINISHED, or the case ends here. */
  async finished(
    phase: string,
    run: InProcessRun | Promise<JobResult>,
    point?: FaultPoint,
  ): Promise<JobResult> {
    const result = await ("result" in run ? run.result : run);
    if (result.state !== "FINISHED") {
      this.abort(
        phase,
        `the job ended ${result.state}${result.error ? `: ${result.error.message}` : ""}; expected FINISHED`,
        point,
      );
    }
    return result;
  }

  /** The child job process ended FINISHED with exit code 0, or the case ends here. */
  childFinished(phase: string, run: ChildRun, point?: FaultPoint): void {
    if (run.exitCode !== 0 || run.end?.state !== "FINISHED") {
      this.abort(phase, `${describeChild(run)}; expected the job to end FINISHED (exit code 0)`, point);
    }
  }

  /** The child job process was SIGKILLed by the armed fault before the job ended, or the case ends here. */
  childKilled(phase: string, run: ChildRun, fault: string, point: FaultPoint): void {
    if (run.signal !== "SIGKILL" || run.timedOut || run.end !== undefined) {
      this.abort(
        phase,
        `expected BERTH_FAULT=${fault} to SIGKILL the job process before the job ended, but ${describeChild(run)}; the lifecycle point was not reached (raise records, or lower the checkpoint interval)`,
        point,
      );
    }
  }

  /** Names of transactions still held under `sinkPrefix`, or undefined when the factory cannot list them. */
  async lingering(target: object, sinkPrefix: string): Promise<string[] | undefined> {
    return this.factory.lingeringTransactions?.(target, sinkPrefix);
  }

  async checkNoLingering(
    phase: string,
    target: object,
    sinkPrefix: string,
    point?: FaultPoint,
  ): Promise<void> {
    const names = await this.lingering(target, sinkPrefix);
    if (names && names.length > 0) {
      this.fail(
        phase,
        `${names.length} transaction(s) still open or pre-committed under prefix ${sinkPrefix}: ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", …" : ""}`,
        point,
      );
    }
  }
}
