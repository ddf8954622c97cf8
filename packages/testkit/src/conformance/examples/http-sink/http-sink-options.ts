/** Options of the HTTP sink: one schema, defaults beside each field, one validation step. */
import { parseOptions } from "@berth/core/connector";
import { z } from "zod";
import { HttpSinkError } from "./errors.js";

export interface HttpSinkOptions {
  /** Base URL of the collection, e.g. `http://127.0.0.1:8080/collections/orders`. */
  readonly url: string;
  /** How long one commit's POST may take before it is retried. Default 10 000 ms. */
  readonly requestTimeoutMs?: number;
}

const httpSinkOptions = z
  .object({
    url: z.url(),
    requestTimeoutMs: z.number().int().positive().default(10_000),
  })
  .strict();

export type ResolvedHttpSinkOptions = z.output<typeof httpSinkOptions>;

export function resolveHttpSinkOptions(options: HttpSinkOptions): ResolvedHttpSinkOptions {
  return parseOptions(
    "http sink",
    httpSinkOptions,
    options,
    (message, cause) => new HttpSinkError("HTTP_SINK_CONFIG_INVALID", message, { cause }),
  );
}
