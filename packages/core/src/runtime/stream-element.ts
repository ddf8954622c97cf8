/** What flows on a channel between subtasks. */
export const MAX_WATERMARK = Number.MAX_SAFE_INTEGER;

/** How a barrier's checkpoint ends the job: not at all, suspend (stop), or drain / end of input. */
export type BarrierStop = "none" | "suspend" | "drain";

export interface BarrierOptions {
  readonly checkpointId: number;
  readonly savepoint: boolean;
  readonly stop: BarrierStop;
}

export type StreamElement<T = unknown> =
  | { readonly kind: "record"; readonly value: T; readonly timestamp: number | undefined }
  | { readonly kind: "watermark"; readonly timestamp: number }
  | { readonly kind: "idle"; readonly idle: boolean }
  | { readonly kind: "barrier"; readonly barrier: BarrierOptions };
