/**
 * The dashboard in a real browser (Debian's Chromium, driven by playwright-core): a real
 * `berth run` of examples/sequence-to-files.ts, `berth ui <jobId> --open` with $BROWSER
 * recording what it is handed (a user-only file, never the code), Chromium opening that file:
 * it lands signed in (HttpOnly, SameSite=Strict cookie; the code gone from the address), sees
 * the job RUNNING and a checkpoint appear, takes a savepoint (the job runs on) and presses Stop. The job must end FINISHED with the
 * savepoint the page shows, and the output files — read directly — must hold every seq before
 * the stop's barrier exactly once. In CI a missing Chromium fails the test instead of skipping it.
 *
 * BERTH_DASHBOARD_SCREENSHOT=path also saves a screenshot of the running page there
 * (docs/images/dashboard.png was made so).
 */
import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { committedSeqs, duplicates, sequencePosition, waitFor, workDirectory } from "../test-support.js";
import { berth, environment, runArgs, start, started, stderrLines } from "./cli-test-support.js";
import { ExitCode } from "./exit-codes.js";

const CHROMIUM = "/usr/bin/chromium";
const BROWSER_ARGS = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-gpu",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];
/** Every wait in the browser is bounded. */
const WAIT_MS = 60_000;

describe("the dashboard in Chromium", () => {
  it.skipIf(!existsSync(CHROMIUM) && !process.env.CI)(
    "berth ui --open signs the browser in; it shows the job and a checkpoint; Stop ends it FINISHED with every seq once",
    async () => {
      expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: .ci/run installs Debian's chromium`).toBe(true);
      const jobId = `dash-${randomUUID().slice(0, 8)}`;
      const work = workDirectory("dashboard");
      const handedTo = join(work, "browser-args");
      const browserCommand = join(work, "browser.sh");
      writeFileSync(browserCommand, `#!/bin/sh\nprintf '%s\\n' "$@" > '${handedTo}'\n`);
      chmodSync(browserCommand, 0o755);
      const env = environment("dashboard", { BROWSER: browserCommand, SEQ_RATE: "300" });
      const job = start(env, runArgs(env, jobId));
      await started(job, env, 1);

      // Documented exit codes: no such job (5); no browser command to start (2). One line each.
      const unknown = await berth(env, ["ui", "no-such-job"]);
      expect(unknown.code).toBe(ExitCode.JOB_NOT_AVAILABLE);
      expect(stderrLines(unknown)).toEqual([expect.stringContaining("no running job no-such-job")]);
      const noBrowser = await berth({ ...env, vars: { ...env.vars, BROWSER: join(work, "missing") } }, [
        "ui",
        jobId,
        "--open",
      ]);
      expect(noBrowser.code).toBe(ExitCode.USAGE);
      expect(stderrLines(noBrowser)).toEqual([
        expect.stringMatching(/^berth: --open: cannot start .*missing/),
      ]);

      const ui = await berth(env, ["ui", jobId, "--open"]);
      expect(ui.code, ui.stderr).toBe(ExitCode.OK);
      const address = ui.stdout.split("\n")[0] as string;
      expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#code=[\w-]{43}$/);
      const { token } = JSON.parse(readFileSync(join(env.home, "jobs", `${jobId}.json`), "utf8")) as {
        token: string;
      };
      expect(address).not.toContain(token);
      // The browser is handed a user-only file that forwards to the address: the code is in no argv.
      await waitFor(() => existsSync(handedTo), "the browser command to run");
      const handed = readFileSync(handedTo, "utf8").trim();
      const forwarding = join(env.home, "ui", `${jobId}.html`);
      expect(handed).toBe(`file://${forwarding}`);
      expect(handed).not.toContain("code=");
      expect(statSync(forwarding).mode & 0o777).toBe(0o600);
      expect(statSync(join(env.home, "ui")).mode & 0o777).toBe(0o700);

      const context = await chromium.launchPersistentContext(workDirectory("dashboard-profile"), {
        executablePath: CHROMIUM,
        args: BROWSER_ARGS,
        headless: true,
        viewport: { width: 1280, height: 900 },
      });
      try {
        const page = context.pages()[0] ?? (await context.newPage());
        page.setDefaultTimeout(WAIT_MS);
        page.on("dialog", (dialog) => void dialog.accept());
        await page.goto(handed);
        const origin = new URL(address).origin;
        await page.waitForURL(`${origin}/`);
        await page
          .getByTestId("job-state")
          .filter({ hasText: /^RUNNING$/ })
          .waitFor();
        expect(page.url()).toBe(`${origin}/`);
        const cookies = await context.cookies(origin);
        expect(cookies).toEqual([
          expect.objectContaining({ name: `berth-${jobId}`, httpOnly: true, sameSite: "Strict" }),
        ]);
        await page
          .getByTestId("checkpoint-counts")
          .filter({ hasText: /[1-9]\d* completed/ })
          .waitFor();
        await page.locator("#checkpoint-table tbody tr").first().waitFor();
        // Rates appear from the second answer on.
        await page.locator('[data-operator="files"]').filter({ hasText: /in \d/ }).waitFor();
        // Savepoint: the job runs on, and the page shows the savepoint it took.
        await page.getByRole("button", { name: "Savepoint", exact: true }).click();
        const saved = page.getByTestId("operation").filter({ hasText: /^savepoint completed: savepoint / });
        await saved.waitFor();
        const taken = ((await saved.textContent()) as string).replace("savepoint completed: savepoint ", "");
        expect(existsSync(join(taken, "_metadata"))).toBe(true);
        await page.locator("#last-savepoint dd").filter({ hasText: taken }).waitFor();
        await page
          .getByTestId("job-state")
          .filter({ hasText: /^RUNNING$/ })
          .waitFor();
        const screenshot = process.env.BERTH_DASHBOARD_SCREENSHOT;
        if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });

        await page.getByRole("button", { name: "Stop", exact: true }).click();
        const done = page.getByTestId("operation").filter({ hasText: /^stop completed: savepoint / });
        await done.waitFor();
        const savepoint = ((await done.textContent()) as string).replace("stop completed: savepoint ", "");
        await page
          .getByTestId("job-state")
          .filter({ hasText: /^FINISHED$/ })
          .waitFor();

        expect(await job.exited).toBe(ExitCode.OK);
        expect(job.stdout).toContain(`job ${jobId} FINISHED; savepoint: ${savepoint}`);
        expect(existsSync(join(savepoint, "_metadata"))).toBe(true);
      } finally {
        await context.close();
      }

      // What the target holds, read from the files: every seq before the stop's barrier, once.
      const savepoint = (job.stdout.match(/FINISHED; savepoint: (\S+)/) as RegExpMatchArray)[1] as string;
      const end = sequencePosition(savepoint, "sequence").end;
      expect(end).toBeGreaterThan(0);
      const seqs = committedSeqs(env.out);
      expect(duplicates(seqs)).toEqual([]);
      expect(seqs).toEqual(Array.from({ length: end }, (_, i) => i));
    },
    // Two processes and a browser on a busy machine: every wait inside is bounded on its own.
    300_000,
  );
});
