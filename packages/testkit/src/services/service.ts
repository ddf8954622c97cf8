/**
 * The shape every service instance has, whether the CLI's shared instance on a fixed port, a
 * private instance a test starts on a port of its own, or a server someone else runs.
 */
import type { ServiceName } from "./endpoints.js";

export type StartOutcome =
  /** This call started the server. */
  | "started"
  /** It was already running and healthy (started earlier from this services folder). */
  | "already-running"
  /** A healthy Berth instance of it runs from another checkout's services folder; used as it is. */
  | "reused"
  /** The environment points at a server someone else runs; it answered. */
  | "external"
  /** A server run by someone else was adjusted for Berth (PostgreSQL settings, database). */
  | "configured";

export interface StartResult {
  service: ServiceName;
  endpoint: string;
  outcome: StartOutcome;
  pid?: number;
  /** Wall time of the call, including any download and the wait until ready. */
  ms: number;
  detail?: string;
}

export type StopOutcome = "stopped" | "not-running" | "left-running";

export interface StopResult {
  service: ServiceName;
  outcome: StopOutcome;
  detail?: string;
}

export interface ServiceStatus {
  service: ServiceName;
  endpoint: string;
  up: boolean;
  pid?: number;
  detail?: string;
}

export interface ServiceInstance {
  readonly name: ServiceName;
  /** What clients connect to: `127.0.0.1:9092`, `http://127.0.0.1:9000`, a postgres URL. */
  readonly endpoint: string;
  /** Idempotent: a healthy running instance is left as it is. */
  start(): Promise<StartResult>;
  /** Stops what `start` started; servers run by someone else are left running. */
  stop(options?: { wipe?: boolean }): Promise<StopResult>;
  status(): Promise<ServiceStatus>;
}

/** Where a service prints progress (the CLI passes stdout; tests may pass nothing). */
export type ProgressLog = (line: string) => void;
