/**
 * `pnpm services up|down|status [kafka|s3|postgres ...]`: the real services the tests, examples
 * and benchmarks talk to, on fixed loopback ports. See docs/services.md.
 */
import { join } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import type { ServiceName } from "./endpoints.js";
import { servicesDir } from "./paths.js";
import { withLockFile } from "./processes.js";
import type { ServiceInstance, StartResult, StopResult } from "./service.js";
import { errorText, ServiceError } from "./service-error.js";
import { SERVICE_NAMES, sharedServices } from "./shared-services.js";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function pick(names: string[]): ServiceName[] {
  if (names.length === 0) return [...SERVICE_NAMES];
  for (const n of names) {
    if (!SERVICE_NAMES.includes(n as ServiceName)) {
      throw new InvalidArgumentError(`unknown service '${n}'; choose from ${SERVICE_NAMES.join(", ")}`);
    }
  }
  return names as ServiceName[];
}

function describeStart(r: StartResult): string {
  const pid = r.pid !== undefined ? `pid ${r.pid}` : undefined;
  const what: Record<StartResult["outcome"], string> = {
    started: `started in ${seconds(r.ms)}`,
    "already-running": "already running",
    reused: "already running (another checkout)",
    external: "answers",
    configured: "ready",
  };
  const extra = [pid, r.detail].filter(Boolean).join(", ");
  return `${r.service.padEnd(9)}${r.endpoint.padEnd(44)}${what[r.outcome]}${extra ? ` (${extra})` : ""}`;
}

function describeStop(r: StopResult): string {
  const what: Record<StopResult["outcome"], string> = {
    stopped: "stopped",
    "not-running": "was not running",
    "left-running": "left running",
  };
  return `${r.service.padEnd(9)}${what[r.outcome]}${r.detail ? ` (${r.detail})` : ""}`;
}

let verbose = false;

function fail(error: unknown): void {
  const message =
    error instanceof ServiceError || !(error instanceof Error) ? errorText(error) : error.message;
  process.stderr.write(`services: ${message}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
}

/** Runs `fn` on each chosen service at once; prints each result as it comes; true when all succeeded. */
async function each<T>(
  services: Record<ServiceName, ServiceInstance>,
  names: ServiceName[],
  fn: (s: ServiceInstance) => Promise<T>,
  print: (t: T) => string,
): Promise<boolean> {
  const results = await Promise.allSettled(
    names.map(async (name) => {
      const result = await fn(services[name]);
      process.stdout.write(`${print(result)}\n`);
      return result;
    }),
  );
  let ok = true;
  for (const r of results) {
    if (r.status === "rejected") {
      ok = false;
      fail(r.reason);
    }
  }
  return ok;
}

const lockFile = () => join(servicesDir(), ".lock");
const log = (line: string) => process.stdout.write(`${line}\n`);

const program = new Command("services")
  .description("Real Kafka, S3 and PostgreSQL on loopback for Berth's tests, examples and benchmarks")
  .option("--verbose", "print stack traces on failure")
  .hook("preAction", (cmd) => {
    verbose = Boolean(cmd.opts().verbose);
  })
  .showHelpAfterError();

program
  .command("up")
  .description("start the services (idempotent: healthy ones are left as they are)")
  .argument("[services...]", `any of ${SERVICE_NAMES.join(", ")} (default: all)`)
  .action(async (names: string[]) => {
    const chosen = pick(names);
    const started = Date.now();
    const ok = await withLockFile(lockFile(), () =>
      each(sharedServices({ log }), chosen, (s) => s.start(), describeStart),
    );
    if (!ok) {
      process.exitCode = 1;
      return;
    }
    log(`services up in ${seconds(Date.now() - started)}`);
  });

program
  .command("down")
  .description("stop what 'up' started (PostgreSQL keeps running)")
  .argument("[services...]", `any of ${SERVICE_NAMES.join(", ")} (default: all)`)
  .option("--wipe", "also delete the services' data and logs")
  .action(async (names: string[], options: { wipe?: boolean }) => {
    const chosen = pick(names);
    const ok = await withLockFile(lockFile(), () =>
      each(sharedServices(), chosen, (s) => s.stop({ wipe: Boolean(options.wipe) }), describeStop),
    );
    if (!ok) process.exitCode = 1;
  });

program
  .command("status")
  .description("print each service, its endpoint and whether it is up (exit 1 when one is down)")
  .argument("[services...]", `any of ${SERVICE_NAMES.join(", ")} (default: all)`)
  .action(async (names: string[]) => {
    const chosen = pick(names);
    const services = sharedServices();
    const statuses = await Promise.all(chosen.map((n) => services[n].status()));
    for (const s of statuses) {
      const extra = [s.pid !== undefined ? `pid ${s.pid}` : undefined, s.detail].filter(Boolean).join(", ");
      log(
        `${s.service.padEnd(9)}${s.endpoint.padEnd(44)}${s.up ? "up" : "down"}${extra ? ` (${extra})` : ""}`,
      );
    }
    if (statuses.some((s) => !s.up)) process.exitCode = 1;
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  fail(error);
  process.exitCode = 1;
});
