/**
 * The machine and versions a result was measured with: CPU, memory and load (a 2-core machine
 * shared with other work reads differently from an idle one), Node and the client libraries,
 * and the services' own versions as each benchmark found them.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, cpus, loadavg, platform, release, totalmem } from "node:os";

export interface Environment {
  readonly machine: {
    readonly platform: string;
    readonly arch: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly memoryGiB: number;
    /** 1, 5 and 15 minute load averages when the result was recorded. */
    readonly loadAverage: readonly number[];
  };
  readonly versions: Record<string, string>;
  readonly services: Record<string, string>;
}

const require = createRequire(import.meta.url);

/** The installed version of a dependency of this package, read from its package.json. */
function installedVersion(name: string): string {
  try {
    // Not every package exports ./package.json: find it beside the resolved entry point.
    let dir = require.resolve(name);
    for (;;) {
      const parent = dir.slice(0, dir.lastIndexOf("/"));
      if (parent === dir || parent === "") return "unknown";
      dir = parent;
      try {
        const pkg = JSON.parse(readFileSync(`${dir}/package.json`, "utf8")) as {
          name?: string;
          version?: string;
        };
        if (pkg.name === name) return pkg.version ?? "unknown";
      } catch {
        // no package.json at this level: go up
      }
    }
  } catch {
    return "unknown";
  }
}

const LIBRARIES = [
  "@berth/core",
  "kafkajs",
  "pg",
  "pg-copy-streams",
  "@aws-sdk/client-s3",
  "@aws-sdk/lib-storage",
];

export async function environment(services: Record<string, string>): Promise<Environment> {
  const cpu = cpus();
  return {
    machine: {
      platform: `${platform()} ${release()}`,
      arch: arch(),
      cpus: cpu.length,
      cpuModel: cpu[0]?.model.trim() ?? "unknown",
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    },
    versions: {
      node: process.version,
      ...Object.fromEntries(LIBRARIES.map((name) => [name, installedVersion(name)])),
    },
    services,
  };
}
