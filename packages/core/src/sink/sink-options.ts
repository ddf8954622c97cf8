/**
 * The one way a sink or source declares its options: a zod object schema whose every field
 * carries its default (`.default(…)`) beside it, parsed by {@link parseOptions} — the one
 * validation step, which names each bad option and what it may be, and refuses unknown
 * options (a typo is an error, not a silently ignored setting).
 */
import { z } from "zod";
import { describeIssues } from "../validation.js";

/** What every sink offers: two-phase commits (default), or data published at pre-commit, which a restore may repeat. */
export type DeliveryGuarantee = "exactly-once" | "at-least-once";

/** The `deliveryGuarantee` option of every sink; default `"exactly-once"`. */
export const deliveryGuaranteeOption = z.enum(["exactly-once", "at-least-once"]).default("exactly-once");

/** A function-valued option (a serializer, a partitioner): checked to be a function, passed on unwrapped. */
export function functionOption<F extends (...args: never[]) => unknown>(): z.ZodType<F> {
  return z.custom<F>((value) => typeof value === "function", { message: "must be a function" });
}

/**
 * Parses `input` with the options `schema` (defaults filled in); on failure throws what `fail`
 * makes of `"<what>: <every problem, one line>"` — the package's typed config error.
 */
export function parseOptions<S extends z.ZodType>(
  what: string,
  schema: S,
  input: unknown,
  fail: (message: string, cause: z.ZodError) => Error,
): z.output<S> {
  if (typeof input !== "object" || input === null)
    throw fail(`${what}: options must be an object`, new z.ZodError([]));
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw fail(`${what}: ${describeIssues(result.error, input)}`, result.error);
}
