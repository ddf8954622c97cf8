/**
 * Commits the sink's committers confirmed in this process, by transaction (committable key).
 * A writer whose every transactional id awaits its commit waits here instead of for the
 * settled notification, which travels through the subtask's mailbox and so cannot reach a
 * writer blocked inside `write` (see KafkaWriter).
 */
export class CommitConfirmations {
  readonly #confirmed = new Set<string>();
  readonly #waiters = new Set<() => void>();
  /** Keys nobody consumes (e.g. restored committables) are dropped past this many. */
  readonly #limit: number;

  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  confirm(key: string): void {
    this.#confirmed.add(key);
    if (this.#confirmed.size > this.#limit) {
      const oldest = this.#confirmed.values().next().value;
      if (oldest !== undefined) this.#confirmed.delete(oldest);
    }
    for (const wake of [...this.#waiters]) wake();
  }

  has(key: string): boolean {
    return this.#confirmed.has(key);
  }

  forget(key: string): void {
    this.#confirmed.delete(key);
  }

  /** Resolves with the first of `keys` confirmed; rejects when `signal` aborts. */
  waitForAny(keys: readonly string[], signal: AbortSignal): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const check = (): boolean => {
        const found = keys.find((k) => this.#confirmed.has(k));
        if (found === undefined) return false;
        done();
        resolve(found);
        return true;
      };
      const onAbort = (): void => {
        done();
        reject(signal.reason ?? new Error("aborted"));
      };
      const done = (): void => {
        this.#waiters.delete(wake);
        signal.removeEventListener("abort", onAbort);
      };
      const wake = (): void => {
        check();
      };
      if (signal.aborted) return onAbort();
      if (check()) return;
      this.#waiters.add(wake);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
