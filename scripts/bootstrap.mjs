// Makes a fresh machine ready for the README's commands: the pinned pnpm and the
// workspace's node packages from the frozen lockfile. Plain Node on purpose: it runs
// before any dependency exists. Re-running it is cheap (it skips what is already there).
import { execFileSync, execSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wanted = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager.split("@")[1];

function pnpmVersion() {
  try {
    return execFileSync("pnpm", ["--version"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
}

if (pnpmVersion() !== wanted) {
  console.log(`bootstrap: installing pnpm ${wanted} with npm`);
  execSync(`npm install --global --no-fund --no-audit pnpm@${wanted}`, { stdio: "inherit" });
}

const marker = join(root, "node_modules", ".modules.yaml");
const lock = join(root, "pnpm-lock.yaml");
if (!existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs) {
  console.log("bootstrap: installing node packages from the lockfile");
  execSync("pnpm install --frozen-lockfile", { cwd: root, stdio: "inherit" });
}
