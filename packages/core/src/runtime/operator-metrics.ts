/**
 * Per-subtask counters of a job, the one place they are kept: the REST control plane and the
 * Prometheus registry both read them. They live on the job, not the attempt, so they count on
 * across failovers (a record replayed after a restore counts again, as in Flink's
 * `numRecordsIn`). Plain fields, no allocation per record: the record path only adds to them.
 */
export interface SubtaskCounters {
  /** Records handed to the operator (a source: none). */
  recordsIn: number;
  /** Records the subtask emitted, once each whatever the fan-out. */
  recordsOut: number;
  /** Milliseconds the subtask waited on a full output channel: its backpressure. */
  backpressuredMs: number;
  /** A sink subtask's committables not yet confirmed committed. */
  pendingCommittables: number;
}

export interface OperatorTotals extends SubtaskCounters {
  readonly uid: string;
  readonly subtasks: number;
}

export class OperatorMetrics {
  private readonly counters = new Map<string, SubtaskCounters[]>();

  /** The counters of subtask `index` of operator `uid`, created at first use and kept after. */
  subtask(uid: string, index: number): SubtaskCounters {
    let subtasks = this.counters.get(uid);
    if (!subtasks) {
      subtasks = [];
      this.counters.set(uid, subtasks);
    }
    let counters = subtasks[index];
    if (!counters) {
      counters = { recordsIn: 0, recordsOut: 0, backpressuredMs: 0, pendingCommittables: 0 };
      subtasks[index] = counters;
    }
    return counters;
  }

  /** Each subtask's counters of operator `uid` (empty before its first attempt built it). */
  subtasksOf(uid: string): readonly SubtaskCounters[] {
    return this.counters.get(uid) ?? [];
  }

  /** The counters of operator `uid` summed over its subtasks. */
  totals(uid: string): OperatorTotals {
    const subtasks = this.subtasksOf(uid);
    const sum = (field: keyof SubtaskCounters) => subtasks.reduce((n, c) => n + c[field], 0);
    return {
      uid,
      subtasks: subtasks.length,
      recordsIn: sum("recordsIn"),
      recordsOut: sum("recordsOut"),
      backpressuredMs: sum("backpressuredMs"),
      pendingCommittables: sum("pendingCommittables"),
    };
  }
}
