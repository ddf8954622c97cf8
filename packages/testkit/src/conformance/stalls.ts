/**
 * Stalls where a slow target, a stalled source or a slow start would, for any sink: while a
 * {@link Stall} is closed the source's fetches wait (a barrier triggered meanwhile waits behind
 * them) and the sink writers' writes wait (records and barriers back up in the channels); the
 * lingering cleanup of the n-th start — 1 the first, 2 the restart after the first failover —
 * waits for a signal to the process (so a signal surely arrives while the job is CREATED or
 * RESTARTING).
 */
import type { Source } from "@berth/core";
import type { Json, RecoverContext, Sink, SinkWriter, SinkWriterContext } from "@berth/core/connector";
import type { ConformanceRecord } from "./sink-factory.js";

type AnySink = Sink<ConformanceRecord, Json>;

/** The same sink with some methods replaced; works for classes and object literals. */
function withMethods(sink: AnySink, methods: Partial<AnySink>): AnySink {
  return new Proxy(sink, {
    get(target, property) {
      if (Object.hasOwn(methods, property)) return methods[property as keyof AnySink];
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Closed: every fetch or write it wraps waits until it opens again. */
export class Stall {
  private waiters: (() => void)[] = [];
  private closed = false;
  /** Calls waiting at the closed stall now. */
  get waiting(): number {
    return this.waiters.length;
  }

  close(): void {
    this.closed = true;
  }

  open(): void {
    this.closed = false;
    for (const resume of this.waiters.splice(0)) resume();
  }

  pass(): Promise<void> | undefined {
    if (!this.closed) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export function withWriteStall(sink: AnySink, stall: Stall): AnySink {
  return withMethods(sink, {
    async createWriter(context: SinkWriterContext, restored: Json | undefined) {
      const writer = await sink.createWriter(context, restored);
      return new Proxy(writer, {
        get(target, property) {
          if (property === "write")
            return (record: ConformanceRecord) => {
              const waiting = stall.pass();
              return waiting ? waiting.then(() => target.write(record)) : target.write(record);
            };
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === "function" ? value.bind(target) : value;
        },
      }) as SinkWriter<ConformanceRecord, Json>;
    },
  });
}

export function withFetchStall<T>(source: Source<T>, stall: Stall): Source<T> {
  return {
    ...source,
    async createReader(context, splits) {
      const reader = await source.createReader(context, splits);
      return {
        poll: async () => {
          await stall.pass();
          return reader.poll();
        },
        snapshotSplits: (id) => reader.snapshotSplits(id),
        notifyCheckpointComplete: async (id) => reader.notifyCheckpointComplete?.(id),
        close: () => reader.close(),
      };
    },
  };
}

/**
 * The `start`-th lingering cleanup calls `onHeld` and waits until the process receives
 * `signal` (at most `limitMs`), then cleans up as the sink does.
 */
export function withHeldStart(
  sink: AnySink,
  hold: { readonly start: number; readonly signal: NodeJS.Signals; readonly limitMs: number },
  onHeld: () => void,
): AnySink {
  let starts = 0;
  return withMethods(sink, {
    async abortLingering(context: RecoverContext<Json>) {
      if (++starts === hold.start) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            process.off(hold.signal, done);
            resolve();
          };
          const timer = setTimeout(done, hold.limitMs);
          process.once(hold.signal, done);
          onHeld();
        });
      }
      return sink.abortLingering(context);
    },
  });
}
