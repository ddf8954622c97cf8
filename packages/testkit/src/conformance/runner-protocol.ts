/** What the test process and the child job runner exchange: a spec in, events out. */
import type { RunSpec } from "./conformance-job.js";

export const RUN_ENV = "BERTH_CONFORMANCE_RUN";
export const EVENT_PREFIX = "@@berth-conformance ";

export interface RunnerSpec {
  /** URL (href) of the factory module. */
  readonly factoryModule: string;
  readonly factoryExport: string;
  /** Target settings from the factory's `createTarget`. */
  readonly target: object;
  readonly run: RunSpec;
  /** Stop the job after this many records; `fault` fails or kills it after the stop's last commit. */
  readonly stop?: {
    readonly afterRecords: number;
    readonly drain: boolean;
    readonly fault?: "throw" | "kill";
  };
  /**
   * SIGTERM stops the job with a savepoint, as `berth run` does; the `holdStart`-th start's
   * lingering cleanup (1 the first, 2 the restart after the first failover) reports
   * `holding-start` and waits for that SIGTERM, so it arrives while the job is CREATED or
   * RESTARTING.
   */
  readonly signal?: { readonly holdStart: number };
}

export type RunnerEvent =
  | { readonly event: "running" }
  | { readonly event: "holding-start"; readonly start: number }
  /** The job failed and restarts in its process (a failover). */
  | { readonly event: "restarting" }
  | { readonly event: "snapshot"; readonly id: number; readonly directory: string }
  | { readonly event: "stop-commits"; readonly total: number }
  | { readonly event: "stopped"; readonly savepoint: string }
  | { readonly event: "stop-failed"; readonly error: string }
  | {
      readonly event: "end";
      readonly state: "FINISHED" | "CANCELED" | "FAILED";
      readonly savepoint?: string;
      readonly error?: string;
    };
