import { describeSinkConformance } from "@berth/testkit";

// The whole kit against the real S3 server (S3_ENDPOINT, default http://127.0.0.1:9000); the
// target-restart case restarts a private S3Proxy of its own.
describeSinkConformance("s3 sink", { factoryModule: new URL("./s3-sink.conformance.ts", import.meta.url) });
