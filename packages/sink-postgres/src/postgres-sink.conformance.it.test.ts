import { describeSinkConformance } from "@berth/testkit";

const factoryModule = new URL("./postgres-sink.conformance.ts", import.meta.url);

// The whole kit, prepared protocol (append), against the machine's server (PG_URL); the
// target-restart case restarts a private PostgreSQL server of its own.
describeSinkConformance("postgres sink, prepared", { factoryModule });

// The idempotent protocol (staging table + commit log).
describeSinkConformance("postgres sink, idempotent", { factoryModule, factoryExport: "idempotent" });
