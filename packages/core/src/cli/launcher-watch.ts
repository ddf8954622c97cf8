/**
 * The death of the process that launched `berth run` counts as a SIGTERM. A wrapper between a
 * supervisor and the job — `sh -c` under `npx`, a shell script, a supervisor that dies — may not
 * forward signals; when it dies the job is reparented, its parent pid changes, and the job stops
 * with a savepoint instead of running on with no one to stop it. Polled: Linux's
 * PR_SET_PDEATHSIG is not reachable from Node.
 */
const POLL_MS = 250;

/** Calls `onGone(pid)` once when the launching process is gone; returns a function that stops watching. */
export function watchLauncher(onGone: (launcher: number) => void): () => void {
  const launcher = process.ppid;
  // Started by init (or already orphaned, or pid 1 in a container): there is no launcher to lose.
  if (launcher <= 1) return () => undefined;
  const timer = setInterval(() => {
    if (process.ppid === launcher) return;
    clearInterval(timer);
    onGone(launcher);
  }, POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
