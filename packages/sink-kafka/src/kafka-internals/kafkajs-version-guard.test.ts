/**
 * Fails when a kafkajs upgrade changes the internals this module drives. If it fails after
 * bumping kafkajs: re-read docs/decisions/0001-kafka-transaction-resume.md, re-check every
 * internal named there against the new source, then update the pin.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  checkKafkajsInternals,
  EOS_MANAGER_METHODS,
  KAFKAJS_INTERNAL_MODULES,
  KAFKAJS_PINNED_VERSION,
  kafkajsInternals,
} from "./kafkajs-internals.js";

const require = createRequire(import.meta.url);
const source = (module: string): string => readFileSync(require.resolve(module), "utf8");

describe("kafkajs internals guard", () => {
  it("the package pins kafkajs to exactly the version the internals were written for", () => {
    const pkg = JSON.parse(
      readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "package.json"), "utf8"),
    ) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.kafkajs).toBe(KAFKAJS_PINNED_VERSION);
    expect((require("kafkajs/package.json") as { version: string }).version).toBe(KAFKAJS_PINNED_VERSION);
  });

  it("every internal module, export and method used is there with the expected shape", () => {
    expect(checkKafkajsInternals()).toEqual([]);
    expect(() => kafkajsInternals()).not.toThrow();
    for (const module of Object.values(KAFKAJS_INTERNAL_MODULES))
      expect(() => require.resolve(module)).not.toThrow();
  });

  it("kafkajs's send path calls no eosManager method beyond the ones Berth's wrapper provides", () => {
    const called = new Set<string>();
    for (const file of ["kafkajs/src/producer/sendMessages.js", "kafkajs/src/producer/messageProducer.js"]) {
      for (const m of source(file).matchAll(/eosManager\.(\w+)/g)) if (m[1]) called.add(m[1]);
    }
    expect([...called].sort()).toEqual(
      [
        "acquireBrokerLock",
        "addPartitionsToTransaction",
        "getProducerEpoch",
        "getProducerId",
        "getSequence",
        "getTransactionalId",
        "isTransactional",
        "releaseBrokerLock",
        "updateSequence",
      ].sort(),
    );
    for (const name of called) expect(EOS_MANAGER_METHODS).toContain(name);
  });

  it("kafkajs's eosManager still ends a transaction without a request when it saw no partition", () => {
    // Berth registers partitions itself; commit()/abort() on kafkajs's manager must then only
    // move its state machine (TRANSACTING -> READY). See transactional-producer.ts.
    const eos = source(KAFKAJS_INTERNAL_MODULES.eosManager);
    expect(eos).toMatch(
      /async commit\(\) \{[\s\S]*?if \(!isOngoing\(\)\) \{[\s\S]*?transitionTo\(STATES\.READY\)/,
    );
    expect(eos).toMatch(
      /async abort\(\) \{[\s\S]*?if \(!isOngoing\(\)\) \{[\s\S]*?transitionTo\(STATES\.READY\)/,
    );
    expect(eos).toMatch(/transactionTopicPartitions\[topic\]\[partition\] = true/);
    // The eosManager's methods are closures (spreading it into a wrapper keeps them working).
    expect(eos).toMatch(/const eosManager = stateMachine\.createGuarded\(/);
  });

  it("the protocol pieces Berth decodes are there: EndTxn v0/v1, Fetch v11 with aborted transactions", () => {
    const endTxn = require("kafkajs/src/protocol/requests/endTxn/index.js") as { versions: string[] };
    expect(endTxn.versions).toEqual(["0", "1"]);
    expect(source("kafkajs/src/protocol/requests/fetch/v11/response.js")).toMatch(/abortedTransactions/);
    expect(source("kafkajs/src/protocol/recordBatch/v0/decoder.js")).toMatch(/isControlBatch/);
    expect(source("kafkajs/src/protocol/recordBatch/record/v0/decoder.js")).toMatch(/batchContext/);
  });
});
