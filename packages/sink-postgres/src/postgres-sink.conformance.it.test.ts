import { describeSinkConformance } from "@berth/testkit";

// The whole kit in prepared mode (append) against the machine's server (PG_URL).
describeSinkConformance("postgres sink, prepared", {
  factoryModule: new URL("./postgres-sink.conformance.ts", import.meta.url),
  skip: {
    "target-restart":
      "needs a private PostgreSQL instance, which the testkit cannot start yet (issue 12 item 6)",
  },
});
