/**
 * The one validation step of the core and its sinks: a zod schema checks a value (sink
 * options, a stored committable or writer state) and every problem becomes one line naming
 * the field, what is allowed, and — for numbers, booleans and enum values — what was given.
 * Strings are not echoed (an option may be a secret).
 */
import type { z } from "zod";

/** The value at `path` in `input`, for the message. */
function at(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  return value;
}

const ARTICLE: Record<string, string> = { int: "an integer", object: "an object", array: "an array" };

/** What a branch of a union expects, for "must be a string or a function". */
function expectation(issues: readonly z.core.$ZodIssue[]): string {
  const first = issues[0];
  if (first?.code === "invalid_type") return ARTICLE[first.expected] ?? `a ${first.expected}`;
  return first?.message.replace(/^(expected|must be) /, "") ?? "something else";
}

/** The rule an issue broke, worded to follow the field's name. */
function rule(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `must be ${ARTICLE[issue.expected] ?? `a ${issue.expected}`}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      if (issue.origin === "string") return "must not be empty";
      return `must be ${issue.inclusive ? "≥" : ">"} ${issue.minimum}`;
    case "too_big":
      return `must be ${issue.inclusive ? "≤" : "<"} ${issue.maximum}`;
    case "invalid_union":
      return `must be ${issue.errors.map(expectation).join(" or ")}`;
    default:
      // Custom checks word their own message to follow the field's name.
      return issue.message;
  }
}

function issueText(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === "unrecognized_keys")
    return `unknown option(s) ${issue.keys.map((k) => `\`${k}\``).join(", ")}`;
  const field = issue.path.length > 0 ? `\`${issue.path.map(String).join(".")}\`` : "the value";
  const given = at(input, issue.path);
  const shown =
    typeof given === "number" ||
    typeof given === "boolean" ||
    (issue.code === "invalid_value" && typeof given === "string")
      ? ` (got ${JSON.stringify(given)})`
      : "";
  return `${field} ${rule(issue)}${shown}`;
}

/** Every problem of a failed parse, on one line. */
export function describeIssues(error: z.ZodError, input: unknown): string {
  return error.issues.map((issue) => issueText(issue, input)).join("; ");
}

/**
 * Parses `input` with `schema` (defaults applied); on failure throws what `fail` makes of the
 * one-line description (the caller's typed error, saying whose value it is).
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  fail: (problems: string, cause: z.ZodError) => Error,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw fail(describeIssues(result.error, input), result.error);
}
