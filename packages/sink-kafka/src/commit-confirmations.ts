/**
 * What the sink's committers did in this process, by transaction (committable key): which
 * commits they began — the transaction's checkpoint is complete — and which they confirmed.
 * A writer whose every transactional id awaits its commit decides here whether it may wait
 * for a confirmation or must open another id: the settled notification travels through the
 * subtask's mailbox and so cannot reach a writer blocked inside `write` (see KafkaWriter).
 */
export class CommitConfirmations {
  readonly #commits = new Map<string, "began" | "confirmed">();
  readonly #waiters = new Set<() => void>();
  /** Keys nobody consumes (e.g. restored committables) are dropped past this many. */
  readonly #limit: number;

  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  /** A committer began committing the transaction: its checkpoint is complete. */
  began(key: string): void {
    if (!this.#commits.has(key)) this.#remember(key, "began");
  }

  confirm(key: string): void {
    this.#remember(key, "confirmed");
    for (const wake of [...this.#waiters]) wake();
  }

  hasBegun(key: string): boolean {
    return this.#commits.has(key);
  }

  has(key: string): boolean {
    return this.#commits.get(key) === "confirmed";
  }

  forget(key: string): void {
    this.#commits.delete(key);
  }

  /** Resolves with the first of `keys` confirmed; rejects when `signal` aborts. */
  waitForAny(keys: readonly string[], signal: AbortSignal): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const check = (): boolean => {
        const found = keys.find((k) => this.has(k));
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

  #remember(key: string, state: "began" | "confirmed"): void {
    this.#commits.set(key, state);
    if (this.#commits.size > this.#limit) {
      const oldest = this.#commits.keys().next().value;
      if (oldest !== undefined) this.#commits.delete(oldest);
    }
  }
}
