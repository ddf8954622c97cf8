/**
 * The typed API to build a job's pipeline: a source, a chain of operators and a sink, each
 * with a stable `uid` (state is matched by uid on restore) and a parallelism.
 *
 * ```ts
 * const pipeline = Pipeline.create({ name: "orders" });
 * pipeline
 *   .source(sequenceSource({ count: 1000 }), { uid: "numbers" })
 *   .map((n) => ({ seq: n }), { uid: "to-json" })
 *   .sinkTo(fileSink({ directory: "out" }), { uid: "files" });
 * ```
 */
import { BerthError } from "../errors.js";
import { KeyedProcessOperator } from "../operators/keyed-process-operator.js";
import { FilterOperator, FlatMapOperator, MapOperator } from "../operators/map-operators.js";
import { windowAggregation } from "../operators/window-aggregation.js";
import { type BadRecordsPolicy, parseBadRecords } from "../runtime/bad-records.js";
import type { StreamOperator } from "../runtime/operator.js";
import { checkDistinctPrefixes } from "../runtime/sink-prefix-checks.js";
import type { Json, Sink } from "../sink/sink.js";
import { checkSinkPrefix } from "../sink/sink-prefix.js";
import type { Source } from "../source/source.js";
import { DEFAULT_MAX_PARALLELISM } from "../state/key-groups.js";
import type {
  AggregateFunction,
  KeyedProcessFunction,
  WatermarkStrategy,
  WindowAssigner,
  WindowResult,
} from "./functions.js";

export interface OperatorOptions {
  /** Stable identity of the operator; state is matched to operators by it. */
  readonly uid: string;
  /** Number of subtasks; default: the pipeline's default parallelism. */
  readonly parallelism?: number;
}

export interface SourceOptions<T> extends OperatorOptions {
  readonly watermarks?: WatermarkStrategy<T>;
}

export interface SinkOptions<T = unknown> extends OperatorOptions {
  /**
   * Prefix of every transaction name of this sink: 1 to 64 of `a-z 0-9 . _ -`, starting with
   * a letter or digit, unique among the job's sinks of one kind. Default: the prefix a restore
   * point recorded for this uid, else one derived from the pipeline name, the sink uid and the
   * target identity (ADR 0005).
   */
  readonly sinkPrefix?: string;
  /**
   * What to do with a record the sink rejects (a `RecordRejectedError` of its writer, e.g. a
   * serializer failure or a record too large; ADR 0013). Default `{ policy: "fail" }`: the job
   * fails naming the record. `{ policy: "skip" }` drops it (logged, counted);
   * `{ policy: "dead-letter", deadLetter: { sink } }` sends it with its error to another sink,
   * through the same checkpoints. Target failures always fail over.
   */
  readonly badRecords?: BadRecordsPolicy<T>;
}

export type Partitioning =
  | { readonly kind: "forward" | "rebalance" }
  | { readonly kind: "hash"; readonly keyOf: (value: unknown) => unknown };

interface VertexBase {
  readonly index: number;
  readonly uid: string;
  readonly parallelism: number;
}

export interface SourceVertex extends VertexBase {
  readonly kind: "source";
  readonly source: Source<unknown>;
  readonly watermarks: WatermarkStrategy<unknown> | undefined;
}

export interface OperatorVertex extends VertexBase {
  readonly kind: "operator";
  readonly keyed: boolean;
  readonly input: { readonly vertex: number; readonly partitioning: Partitioning };
  readonly createOperator: () => StreamOperator;
}

export interface SinkVertex extends VertexBase {
  readonly kind: "sink";
  readonly input: { readonly vertex: number; readonly partitioning: Partitioning };
  readonly sink: Sink<unknown, Json>;
  readonly sinkPrefix: string | undefined;
  readonly badRecords: BadRecordsPolicy;
}

export type Vertex = SourceVertex | OperatorVertex | SinkVertex;

export interface PipelineOptions {
  readonly name: string;
  /** Number of key groups; fixed for the life of the job (restores must keep it). Default 128. */
  readonly maxParallelism?: number;
  readonly defaultParallelism?: number;
}

export class Pipeline {
  readonly name: string;
  readonly maxParallelism: number;
  readonly defaultParallelism: number;
  readonly vertices: Vertex[] = [];

  private constructor(options: PipelineOptions) {
    if (!/^[\w.-]+$/.test(options.name)) {
      throw new BerthError(
        "PIPELINE_INVALID",
        `pipeline name "${options.name}" may hold only letters, digits, ".", "_" and "-"`,
      );
    }
    this.name = options.name;
    this.maxParallelism = options.maxParallelism ?? DEFAULT_MAX_PARALLELISM;
    this.defaultParallelism = options.defaultParallelism ?? 1;
  }

  static create(options: PipelineOptions): Pipeline {
    return new Pipeline(options);
  }

  source<T>(source: Source<T>, options: SourceOptions<T>): DataStream<T> {
    const vertex: SourceVertex = {
      kind: "source",
      index: this.vertices.length,
      uid: this.checkUid(options.uid),
      parallelism: this.checkParallelism(options),
      source: source as Source<unknown>,
      watermarks: options.watermarks as WatermarkStrategy<unknown> | undefined,
    };
    this.vertices.push(vertex);
    return new DataStream<T>(this, vertex);
  }

  /** @internal */
  addVertex<V extends Vertex>(build: (index: number) => V): V {
    const vertex = build(this.vertices.length);
    this.checkUid(vertex.uid);
    this.vertices.push(vertex);
    return vertex;
  }

  /** @internal */
  checkParallelism(options: OperatorOptions): number {
    const parallelism = options.parallelism ?? this.defaultParallelism;
    if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > this.maxParallelism) {
      throw new BerthError(
        "PIPELINE_INVALID",
        `operator "${options.uid}": parallelism ${parallelism} must be an integer from 1 to the max parallelism ${this.maxParallelism}`,
      );
    }
    return parallelism;
  }

  private checkUid(uid: string): string {
    if (!/^[\w.-]+$/.test(uid)) {
      throw new BerthError(
        "PIPELINE_INVALID",
        `uid "${uid}" may hold only letters, digits, ".", "_" and "-"`,
      );
    }
    if (this.vertices.some((v) => v.uid === uid)) {
      throw new BerthError(
        "PIPELINE_INVALID",
        `uid "${uid}" is used twice; every operator needs its own uid`,
      );
    }
    return uid;
  }

  /** Checks the pipeline is complete: every stream ends in a sink. */
  validate(): void {
    if (this.vertices.length === 0) throw new BerthError("PIPELINE_INVALID", "the pipeline has no source");
    const consumed = new Set(this.vertices.flatMap((v) => (v.kind === "source" ? [] : [v.input.vertex])));
    for (const v of this.vertices) {
      if (v.kind !== "sink" && !consumed.has(v.index)) {
        throw new BerthError(
          "PIPELINE_INVALID",
          `the stream of "${v.uid}" goes nowhere; end it with sinkTo(...)`,
        );
      }
    }
  }
}

export class DataStream<T> {
  constructor(
    protected readonly pipeline: Pipeline,
    protected readonly vertex: Vertex,
  ) {}

  private append<R>(
    options: OperatorOptions,
    createOperator: () => StreamOperator,
    keyOf?: (value: unknown) => unknown,
  ): DataStream<R> {
    const parallelism = this.pipeline.checkParallelism(options);
    const vertex = this.pipeline.addVertex<OperatorVertex>((index) => ({
      kind: "operator",
      index,
      uid: options.uid,
      parallelism,
      keyed: keyOf !== undefined,
      input: {
        vertex: this.vertex.index,
        partitioning: partitioningFor(this.vertex.parallelism, parallelism, keyOf),
      },
      createOperator,
    }));
    return new DataStream<R>(this.pipeline, vertex);
  }

  map<R>(fn: (value: T) => R, options: OperatorOptions): DataStream<R> {
    return this.append(options, () => new MapOperator(fn as (value: unknown) => unknown));
  }

  filter(predicate: (value: T) => boolean, options: OperatorOptions): DataStream<T> {
    return this.append(options, () => new FilterOperator(predicate as (value: unknown) => boolean));
  }

  flatMap<R>(fn: (value: T) => Iterable<R>, options: OperatorOptions): DataStream<R> {
    return this.append(options, () => new FlatMapOperator(fn as (value: unknown) => Iterable<unknown>));
  }

  /** Hash-partitions the stream by key; the next operator gets keyed state and timers. */
  keyBy<K>(keyOf: (value: T) => K): KeyedStream<K, T> {
    return new KeyedStream<K, T>(this.pipeline, this.vertex, keyOf as (value: unknown) => unknown);
  }

  sinkTo<C extends Json, S extends Json = Json>(sink: Sink<T, C, S>, options: SinkOptions<T>): void {
    const badRecords = parseBadRecords(options.uid, options);
    const vertex = this.addSink(this.vertex, sink as unknown as Sink<unknown, Json>, options, badRecords);
    if (badRecords.policy !== "dead-letter") return;
    // The dead-letter sink is a sink vertex of its own, fed by each subtask of this one: its
    // transactions close at the same barriers, and restore, commit and clean up as any sink's.
    const { deadLetter } = badRecords;
    this.addSink(
      vertex,
      deadLetter.sink as Sink<unknown, Json>,
      {
        uid: deadLetter.uid ?? `${options.uid}-dead-letter`,
        parallelism: vertex.parallelism,
        ...(deadLetter.sinkPrefix === undefined ? {} : { sinkPrefix: deadLetter.sinkPrefix }),
      },
      { policy: "fail" },
    );
  }

  private addSink(
    upstream: Vertex,
    sink: Sink<unknown, Json>,
    options: SinkOptions,
    badRecords: BadRecordsPolicy,
  ): SinkVertex {
    const parallelism = this.pipeline.checkParallelism(options);
    if (options.sinkPrefix !== undefined) {
      checkSinkPrefix(options.sinkPrefix, options.uid);
      checkDistinctPrefixes([
        ...this.pipeline.vertices.flatMap((v) =>
          v.kind === "sink" && v.sinkPrefix !== undefined
            ? [{ uid: v.uid, kind: v.sink.kind, prefix: v.sinkPrefix }]
            : [],
        ),
        { uid: options.uid, kind: sink.kind, prefix: options.sinkPrefix },
      ]);
    }
    return this.pipeline.addVertex<SinkVertex>((index) => ({
      kind: "sink",
      index,
      uid: options.uid,
      parallelism,
      input: {
        vertex: upstream.index,
        partitioning: partitioningFor(upstream.parallelism, parallelism),
      },
      sink,
      sinkPrefix: options.sinkPrefix,
      badRecords,
    }));
  }

  /** @internal */
  protected keyed<R>(
    options: OperatorOptions,
    createOperator: () => StreamOperator,
    keyOf: (value: unknown) => unknown,
  ): DataStream<R> {
    return this.append(options, createOperator, keyOf);
  }
}

export class KeyedStream<K, T> extends DataStream<T> {
  constructor(
    pipeline: Pipeline,
    vertex: Vertex,
    private readonly keyOf: (value: unknown) => unknown,
  ) {
    super(pipeline, vertex);
  }

  process<O>(fn: KeyedProcessFunction<K, T, O>, options: OperatorOptions): DataStream<O> {
    const keyOf = this.keyOf;
    return this.keyed(
      options,
      () => new KeyedProcessOperator(fn as KeyedProcessFunction<unknown, unknown, unknown>, keyOf),
      keyOf,
    );
  }

  window(assigner: WindowAssigner): {
    aggregate<A extends Json, R>(
      fn: AggregateFunction<T, A, R>,
      options: OperatorOptions,
    ): DataStream<WindowResult<K, R>>;
  } {
    return {
      aggregate: <A extends Json, R>(fn: AggregateFunction<T, A, R>, options: OperatorOptions) =>
        this.process<WindowResult<K, R>>(windowAggregation<K, T, A, R>(assigner, fn), options),
    };
  }
}

function partitioningFor(
  upstream: number,
  downstream: number,
  keyOf?: (value: unknown) => unknown,
): Partitioning {
  if (keyOf) return { kind: "hash", keyOf };
  return upstream === downstream ? { kind: "forward" } : { kind: "rebalance" };
}
