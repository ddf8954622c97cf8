import { describeSinkConformance } from "@berth/testkit";
import { LOAD_SENSITIVE } from "./s3-sink.conformance.js";

const factoryModule = new URL("./s3-sink.conformance.ts", import.meta.url);

// The whole kit again with files rolled by size or age, kept open across checkpoints.
describeSinkConformance("s3 sink, rolling by size", {
  factoryModule,
  factoryExport: "rollingBySize",
  skip: Object.fromEntries(LOAD_SENSITIVE.map((c) => [c, "runs on its own in the next suite of this file"])),
});

describeSinkConformance("s3 sink, rolling by size, cases run on their own", {
  factoryModule,
  factoryExport: "rollingBySize",
  only: LOAD_SENSITIVE,
});
