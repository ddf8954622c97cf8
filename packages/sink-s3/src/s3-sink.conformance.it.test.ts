import { describeSinkConformance } from "@berth/testkit";

// The whole kit against the real S3 server (S3_ENDPOINT, default http://127.0.0.1:9000); the
// target-restart case restarts a private S3Proxy of its own.
describeSinkConformance("s3 sink", {
  factoryModule: new URL("./s3-sink.conformance.ts", import.meta.url),
  skip: {
    "checkpoints-fail-after-pre-commit":
      "fails for this sink since the lineage change: the job fails over and the failover restores run-1/chk-N whose _metadata was never written (RESTORE_FAILED); not yet diagnosed (issue 13 report)",
    "failover-after-restore":
      "fails for this sink: the restored job ends FINISHED without reaching its injected while-writing fault; not yet diagnosed (issue 13 report)",
  },
});
