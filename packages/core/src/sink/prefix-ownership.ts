/**
 * Ownership of a sink prefix at the target (part of the sink contract, optional): a sink
 * that can claim its prefix where the data lives implements `Sink.claimPrefix`, so that two
 * jobs — on two machines, users or homes — never write or clean up under one prefix. The
 * file sink holds a kernel lock in its output directory; a database sink would hold an
 * advisory lock on a dedicated session, an object store a conditional lease object. Kafka
 * offers no such claim: its transactional ids are fenced by epoch instead.
 */
import { BerthError } from "../errors.js";
import type { SinkLog } from "./sink.js";

export interface PrefixClaimContext {
  readonly sinkPrefix: string;
  /** The sink operator's uid. */
  readonly uid: string;
  /** The job that claims it, for the holder's record (and the refusal of another job). */
  readonly jobId: string;
  readonly log: SinkLog;
}

/** A held claim. The core releases it when the job ends; the target must end it when the process dies. */
export interface PrefixClaim {
  release(): Promise<void>;
}

/** Another live job holds this sink prefix at the target: what `claimPrefix` throws. */
export class SinkPrefixInUseError extends BerthError {
  static override readonly marker: string = "berth.core/SinkPrefixInUseError";

  /**
   * @param target where the claim lives, e.g. the lock file
   * @param holder who holds it, e.g. "job seq1 (pid 4242 on host-a, since …)"
   */
  constructor(
    readonly sinkPrefix: string,
    readonly target: string,
    readonly holder: string,
  ) {
    super(
      "SINK_PREFIX_IN_USE",
      `sink prefix ${sinkPrefix} is in use: ${holder} holds ${target}; stop that job first, or give this sink another output or sinkPrefix`,
    );
  }
}
