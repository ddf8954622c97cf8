/**
 * The one error type of the services helpers. Every failure says what is wrong and what to do,
 * carries a stable `code`, and keeps the cause. `instanceof` works across copies of the package
 * through the core's marker brand.
 */
import { TypedError } from "@berth/core";

export type ServiceErrorCode =
  /** A port the service needs is taken by a process that is not this service. */
  | "PORT_IN_USE"
  /** A tool the service needs (java, mvn, pg_ctlcluster) is missing or failed. */
  | "TOOL_MISSING"
  /** Maven could not resolve the service's jars. */
  | "RUNTIME_RESOLVE_FAILED"
  /** The service process exited or never became ready. */
  | "START_FAILED"
  /** The service is running but does not answer as it should. */
  | "NOT_READY"
  /** The PostgreSQL server is unreachable or cannot be configured from here. */
  | "POSTGRES_UNAVAILABLE"
  /** Docker-backed services were asked for but no Docker engine answers. */
  | "DOCKER_UNAVAILABLE";

export class ServiceError extends TypedError<ServiceErrorCode> {
  static override readonly marker: string = "berth.testkit/ServiceError";
  /** The service the error is about (`kafka`, `s3`, `postgres`), when there is one. */
  readonly service: string | undefined;

  constructor(
    code: ServiceErrorCode,
    service: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.service = service;
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
