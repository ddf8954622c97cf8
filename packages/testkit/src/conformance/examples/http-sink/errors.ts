/** The HTTP sink's typed errors: one class, a stable code per way it refuses. */
import { TypedError } from "@berth/core/connector";

export type HttpSinkErrorCode = "HTTP_SINK_CONFIG_INVALID" | "HTTP_COMMITTABLE_INVALID";

export class HttpSinkError extends TypedError<HttpSinkErrorCode> {
  static override readonly marker: string = "berth.testkit.examples/HttpSinkError";
}
