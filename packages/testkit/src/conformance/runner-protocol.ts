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
}

export type RunnerEvent =
  | { readonly event: "running" }
  | { readonly event: "snapshot"; readonly id: number; readonly directory: string }
  | {
      readonly event: "end";
      readonly state: "FINISHED" | "CANCELED" | "FAILED";
      readonly savepoint?: string;
      readonly error?: string;
    };
