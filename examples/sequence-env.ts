/**
 * The settings every sequence example reads from the environment at each start
 * (DESIGN.md, "The sequence examples").
 */
export interface SequenceSettings {
  /** SEQ_COUNT: records, then end of input; unbounded when unset. */
  readonly count: number | undefined;
  /** SEQ_RATE: records per second, 0 = unlimited. */
  readonly ratePerSecond: number;
  /** SEQ_PARALLELISM: default 1. */
  readonly parallelism: number;
}

function integer(name: string, fallback: number | undefined, min: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw} must be an integer ≥ ${min}`);
  return value;
}

export function sequenceSettings(): SequenceSettings {
  return {
    count: integer("SEQ_COUNT", undefined, 0),
    ratePerSecond: integer("SEQ_RATE", 0, 0) ?? 0,
    parallelism: integer("SEQ_PARALLELISM", 1, 1) ?? 1,
  };
}
