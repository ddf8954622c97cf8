import { describeSinkConformance } from "@berth/testkit";
import { LOAD_SENSITIVE } from "./s3-sink.conformance.js";

const factoryModule = new URL("./s3-sink.conformance.ts", import.meta.url);

// The whole kit against the real S3 server (S3_ENDPOINT, default http://127.0.0.1:9000); the
// target-restart case restarts a private S3Proxy of its own.
describeSinkConformance("s3 sink", {
  factoryModule,
  skip: Object.fromEntries(LOAD_SENSITIVE.map((c) => [c, "runs on its own in the next suite of this file"])),
});

describeSinkConformance("s3 sink, cases run on their own", { factoryModule, only: LOAD_SENSITIVE });
