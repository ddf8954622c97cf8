import { describeSinkConformance } from "@berth/testkit";

// The README's example, proven by the kit in one call. It runs a representative subset to keep
// the testkit's own CI short (the file sink runs every case); drop `only` to run them all.
describeSinkConformance("http sink (README example)", {
  factoryModule: new URL("./http-sink.conformance.ts", import.meta.url),
  only: [
    "bounded",
    "stop",
    "savepoint-no-claim",
    "commit-twice",
    "crash-mid-commit",
    "rescale-down",
    "failover-after-restore",
  ],
});
