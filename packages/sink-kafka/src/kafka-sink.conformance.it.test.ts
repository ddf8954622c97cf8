import { describeSinkConformance } from "@berth/testkit";

// The whole kit against the real broker (KAFKA_BROKERS, default 127.0.0.1:9092); the
// target-restart case restarts a private broker of its own.
describeSinkConformance("kafka sink", {
  factoryModule: new URL("./kafka-sink.conformance.ts", import.meta.url),
});
