/**
 * Named lifecycle points where a test can make the process die (SIGKILL) or a call fail.
 * Off by default; when `BERTH_FAULT` is unset, `faultPoint` is one boolean check.
 *
 * `BERTH_FAULT=<point>[@<n>][x<times>][:<action>]` — at the n-th time (default 1) the point is
 * passed, and the `times - 1` passes after it (default 1: that pass only), do the action:
 * `kill` (default; SIGKILL this process) or `throw` (a FAULT_INJECTED error).
 *
 * `checkpoint-storage-write` is the `_metadata` write of a checkpoint or savepoint to checkpoint
 * storage: `checkpoint-storage-write@2x3:throw` makes storage fail for three checkpoints in a row.
 */
import { BerthError } from "./errors.js";

export const FAULT_POINTS = [
  "while-writing",
  "after-pre-commit",
  "after-checkpoint-complete",
  "mid-commit",
  "during-restore-commit",
  "checkpoint-storage-write",
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

interface ArmedFault {
  readonly point: FaultPoint;
  readonly at: number;
  readonly times: number;
  readonly action: "kill" | "throw";
  seen: number;
}

function parse(spec: string | undefined): ArmedFault | undefined {
  if (!spec) return undefined;
  const match = /^([a-z-]+)(?:@(\d+))?(?:x(\d+))?(?::(kill|throw))?$/.exec(spec);
  if (!match || !FAULT_POINTS.includes(match[1] as FaultPoint)) {
    throw new BerthError(
      "CONFIG_INVALID",
      `BERTH_FAULT="${spec}" is not <point>[@n][xtimes][:kill|throw] with a point of ${FAULT_POINTS.join(", ")}`,
    );
  }
  return {
    point: match[1] as FaultPoint,
    at: Number(match[2] ?? 1),
    times: Number(match[3] ?? 1),
    action: (match[4] as "kill" | "throw") ?? "kill",
    seen: 0,
  };
}

let armed = parse(process.env.BERTH_FAULT);

/** Arms a fault in this process (tests of the runtime itself); `undefined` disarms. */
export function armFault(spec: string | undefined): void {
  armed = parse(spec);
}

export function faultPoint(point: FaultPoint): void {
  if (armed === undefined || armed.point !== point) return;
  armed.seen++;
  if (armed.seen < armed.at || armed.seen >= armed.at + armed.times) return;
  if (armed.action === "kill") process.kill(process.pid, "SIGKILL");
  throw new BerthError("FAULT_INJECTED", `fault injected at ${point}`);
}
