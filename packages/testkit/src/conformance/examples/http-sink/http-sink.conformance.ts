/** The HTTP sink's conformance factory: what the kit needs to build, read and clean a target. */
import { defineSinkConformance } from "@berth/testkit/factory";
import { httpSink } from "./http-sink.js";
import { idempotentHttpStore } from "./idempotent-http-store.js";

export default defineSinkConformance<{ url: string }>({
  // Runs in the test process only; the settings it returns travel to the job processes as JSON.
  async createTarget({ id }) {
    return { url: `${await idempotentHttpStore()}/collections/${id}` };
  },
  // Runs wherever a job runs, the killed child processes included.
  createSink: (target) => httpSink({ url: target.url }),
  async readCommitted(target) {
    const response = await fetch(`${target.url}/records`);
    return ((await response.json()) as { records: { seq: number }[] }).records;
  },
  async dropTarget(target) {
    await fetch(target.url, { method: "DELETE" });
  },
});
