/**
 * `berth list [--all]`: the jobs of this user's registry with their start times — running ones
 * asked for their state; with `--all` also the last run of every job id that ended (its final
 * state and end time) or whose process died without ending it (GONE), as `flink list --all`.
 */
import { type RegistryEntry, registryEntries } from "../control/job-registry.js";
import { ControlClient } from "./control-client.js";
import { ExitCode } from "./exit-codes.js";

interface Listed {
  readonly jobId: string;
  readonly pipeline: string;
  readonly state: string;
  readonly pid: number;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly port?: number;
}

async function stateOf(entry: RegistryEntry): Promise<string> {
  if (entry.status === "gone") return "GONE";
  if (entry.status === "ended") return entry.state ?? "ENDED";
  return ControlClient.forJob(entry.jobId)
    .request<{ state: string }>("GET", `/jobs/${entry.jobId}`)
    .then(
      (job) => job.state,
      () => "UNKNOWN",
    );
}

export async function listCommand(
  flags: { readonly all?: boolean; readonly json?: boolean },
  print: (line: string) => void,
): Promise<number> {
  const entries = registryEntries()
    .filter((e) => flags.all || e.status === "live")
    .sort((a, b) => (a.startedAt ?? "").localeCompare(b.startedAt ?? ""));
  const jobs: Listed[] = await Promise.all(
    entries.map(async (e) => ({
      jobId: e.jobId,
      pipeline: e.pipeline,
      state: await stateOf(e),
      pid: e.pid,
      startedAt: e.startedAt ?? null,
      endedAt: e.endedAt ?? null,
      ...(e.status === "live" ? { port: e.port } : {}),
    })),
  );
  if (flags.json) print(JSON.stringify(jobs));
  else if (jobs.length === 0)
    print(flags.all ? "no jobs in this registry" : "no running jobs (berth list --all shows ended ones)");
  else
    for (const j of jobs)
      print(
        [
          j.jobId,
          j.state,
          j.pipeline,
          `started ${j.startedAt ?? "?"}`,
          ...(j.endedAt ? [`ended ${j.endedAt}`] : []),
          `pid ${j.pid}`,
          ...(j.port !== undefined ? [`port ${j.port}`] : []),
        ].join("  "),
      );
  return ExitCode.OK;
}
