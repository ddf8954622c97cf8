/**
 * `berth ui <jobId>`: a one-time address of the job's dashboard. The job issues the code (to
 * the bearer token, read from the registry); it travels in the address's fragment, which the
 * browser never sends, and the page exchanges it for a session cookie (ADR 0024). `--open`
 * hands the browser a user-only file that forwards to the address, so the code is never in
 * a process's arguments either.
 */
import { spawn } from "node:child_process";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { berthHome } from "../control/job-registry.js";
import { ensureDirectory } from "../fs/directories.js";
import { ControlClient } from "./control-client.js";
import { CliError, ExitCode } from "./exit-codes.js";

/** The command that opens a file in the user's browser: `$BROWSER`, else the platform's opener. */
function opener(): [string, string[]] {
  if (process.env.BROWSER) return [process.env.BROWSER, []];
  if (process.platform === "darwin") return ["open", []];
  if (process.platform === "win32") return ["cmd", ["/c", "start", '""']];
  return ["xdg-open", []];
}

/** Writes the forwarding page (mode 0600 in a 0700 folder) and returns its path. */
async function forwardingPage(jobId: string, address: string): Promise<string> {
  const directory = join(berthHome(), "ui");
  await ensureDirectory(directory);
  await chmod(directory, 0o700);
  const file = join(directory, `${jobId}.html`);
  const html = `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${address}"><title>Berth</title><a href="${address}">Open the dashboard of job ${jobId}</a>\n`;
  await writeFile(file, html, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

async function open(file: string): Promise<void> {
  const [command, args] = opener();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, [...args, pathToFileURL(file).href], { stdio: "ignore", detached: true });
    child.once("error", (error) =>
      reject(
        new CliError(
          `--open: cannot start ${command} (${error.message}); set BROWSER to your browser's command, or open the address above yourself`,
          ExitCode.USAGE,
        ),
      ),
    );
    child.once("spawn", () => {
      child.unref();
      resolve();
    });
  });
}

export async function uiCommand(
  jobId: string,
  flags: { readonly open?: boolean },
  print: (line: string) => void,
): Promise<number> {
  const client = ControlClient.forJob(jobId);
  const issued = await client.request<{ code: string; "expires-in": number }>("POST", "/ui/codes");
  const address = `${client.baseUrl}/#code=${issued.code}`;
  print(address);
  print(
    `the dashboard of job ${jobId}: open this address within ${issued["expires-in"] / 1000} s; it works once (run berth ui again for another)`,
  );
  if (flags.open) await open(await forwardingPage(jobId, address));
  return ExitCode.OK;
}
