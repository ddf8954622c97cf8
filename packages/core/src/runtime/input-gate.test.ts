/**
 * Barrier alignment over several input channels: a channel that delivered barrier n waits
 * until every channel did; a later barrier supersedes an abandoned earlier one (a source
 * that never sent it), and a stale barrier of an abandoned checkpoint is dropped. Watermarks
 * combine as the minimum over channels that are not idle.
 */
import { describe, expect, it } from "vitest";
import { Channel } from "./channel.js";
import { type GateEvent, InputGate } from "./input-gate.js";
import type { StreamElement } from "./stream-element.js";

const record = (value: string): StreamElement => ({ kind: "record", value, timestamp: undefined });
const barrier = (checkpointId: number): StreamElement => ({
  kind: "barrier",
  barrier: { checkpointId, savepoint: false, stop: "none" },
});

function drain(gate: InputGate): string[] {
  const seen: string[] = [];
  for (let event: GateEvent | undefined = gate.next(); event; event = gate.next()) {
    if (event.kind === "record") seen.push(String(event.value));
    else if (event.kind === "barrier") seen.push(`barrier ${event.barrier.checkpointId}`);
    else seen.push(`watermark ${event.timestamp}`);
  }
  return seen;
}

function gateOf(n: number): { gate: InputGate; channels: Channel[] } {
  const channels = Array.from({ length: n }, () => new Channel(100));
  return { gate: new InputGate(channels), channels };
}

describe("input gate", () => {
  it("holds back a channel after its barrier until every channel delivered it", () => {
    const { gate, channels } = gateOf(2);
    const [a, b] = channels as [Channel, Channel];
    a.push(record("a1"));
    a.push(barrier(1));
    a.push(record("a2"));
    b.push(record("b1"));
    b.push(record("b2"));
    // a2 comes after barrier 1: it may not be read before b's barrier 1.
    expect(drain(gate)).toEqual(["a1", "b1", "b2"]);
    b.push(barrier(1));
    b.push(record("b3"));
    expect(drain(gate)).toEqual(["barrier 1", "a2", "b3"]);
  });

  it("lets a later barrier supersede an abandoned one, so records before it stay before it", () => {
    const { gate, channels } = gateOf(2);
    const [a, b] = channels as [Channel, Channel];
    // Checkpoint 1 was abandoned before b's source sent its barrier; checkpoint 2 follows.
    a.push(barrier(1));
    a.push(record("a-before-2"));
    a.push(barrier(2));
    a.push(record("a-after-2"));
    b.push(record("b-before-2"));
    b.push(barrier(2));
    b.push(record("b-after-2"));
    const events = drain(gate);
    expect(events.filter((e) => e.startsWith("barrier"))).toEqual(["barrier 2"]);
    const at = events.indexOf("barrier 2");
    expect(events.slice(0, at).sort()).toEqual(["a-before-2", "b-before-2"]);
    expect(events.slice(at + 1).sort()).toEqual(["a-after-2", "b-after-2"]);
  });

  it("drops a stale barrier that arrives after a newer alignment began", () => {
    const { gate, channels } = gateOf(3);
    const [a, b, c] = channels as [Channel, Channel, Channel];
    a.push(barrier(2));
    b.push(barrier(2));
    c.push(barrier(1)); // abandoned checkpoint 1, still in flight on c
    c.push(record("c-before-2"));
    c.push(barrier(2));
    const events = drain(gate);
    expect(events).toEqual(["c-before-2", "barrier 2"]);
  });

  it("drops the barrier of a checkpoint the coordinator abandoned, on a single input too", () => {
    const { gate, channels } = gateOf(1);
    const [a] = channels as [Channel];
    gate.abandon(1); // the stop's savepoint timed out while its barrier was still upstream
    a.push(record("a1"));
    a.push(barrier(1));
    a.push(record("a2"));
    a.push(barrier(2));
    expect(drain(gate)).toEqual(["a1", "a2", "barrier 2"]);
  });

  it("reads again the inputs blocked aligning a checkpoint the coordinator abandoned", () => {
    const { gate, channels } = gateOf(2);
    const [a, b] = channels as [Channel, Channel];
    a.push(barrier(1));
    a.push(record("a-after-1"));
    b.push(record("b1"));
    expect(drain(gate)).toEqual(["b1"]);
    gate.abandon(1); // b's barrier 1 never comes, or comes late
    b.push(barrier(1));
    b.push(record("b2"));
    expect(drain(gate).sort()).toEqual(["a-after-1", "b2"]);
  });

  it("combines watermarks as the minimum over channels that are not idle", () => {
    const { gate, channels } = gateOf(2);
    const [a, b] = channels as [Channel, Channel];
    a.push({ kind: "watermark", timestamp: 10 });
    b.push({ kind: "watermark", timestamp: 5 });
    expect(drain(gate)).toEqual(["watermark 5"]);
    b.push({ kind: "idle", idle: true });
    expect(drain(gate)).toEqual(["watermark 10"]);
  });
});
