/**
 * EndTxn with a stored producer id and epoch, sent straight to the transaction coordinator
 * through kafkajs's cluster and broker objects — what Flink's `resumeTransaction` achieves by
 * setting the Java producer's fields by reflection.
 */
import type { KafkajsInternals, KjsCluster } from "./kafkajs-internals.js";
import { classifyEndTxnError } from "./outcomes.js";
import type { PreparedTransaction } from "./prepared-transaction.js";

export interface EndTxnRetry {
  /** Attempts for answers that clear up within milliseconds. */
  readonly attempts: number;
  /** Pause before the second attempt, doubled each time. */
  readonly backoffMs: number;
}

export const DEFAULT_END_TXN_RETRY: EndTxnRetry = { attempts: 10, backoffMs: 50 };

/** Resolves when the coordinator answered NONE; throws kafkajs's error otherwise. */
export async function sendEndTxn(
  internals: KafkajsInternals,
  cluster: KjsCluster,
  tx: PreparedTransaction,
  commit: boolean,
  retry: EndTxnRetry = DEFAULT_END_TXN_RETRY,
): Promise<void> {
  if (!cluster.isConnected()) await cluster.connect();
  let wait = retry.backoffMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const coordinator = await cluster.findGroupCoordinator({
        groupId: tx.transactionalId,
        coordinatorType: internals.coordinatorTypes.TRANSACTION,
      });
      await coordinator.endTxn({
        transactionalId: tx.transactionalId,
        producerId: tx.producerId,
        producerEpoch: tx.producerEpoch,
        transactionResult: commit,
      });
      return;
    } catch (error) {
      if (attempt >= retry.attempts || classifyEndTxnError(error).kind !== "retryLater") throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait *= 2;
    }
  }
}
