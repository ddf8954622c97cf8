import { describeSinkConformance } from "@berth/testkit";

const factoryModule = new URL("./postgres-sink.conformance.ts", import.meta.url);
const noPrivateInstance = {
  "target-restart": "needs a private PostgreSQL instance, which the testkit cannot start yet (issue 12)",
} as const;

// The whole kit, prepared protocol (append), against the machine's server (PG_URL).
describeSinkConformance("postgres sink, prepared", { factoryModule, skip: noPrivateInstance });

// The idempotent protocol (staging table + commit log).
describeSinkConformance("postgres sink, idempotent", {
  factoryModule,
  factoryExport: "idempotent",
  skip: noPrivateInstance,
});
