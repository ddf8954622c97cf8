import { describeSinkConformance } from "@berth/testkit";

// Parquet is a second format of the same writer: the kit's core subset (every crash, lingering
// cleanup, rescaling), the objects read back with @dsnp/parquetjs.
describeSinkConformance("s3 sink, parquet", {
  factoryModule: new URL("./s3-sink.conformance.ts", import.meta.url),
  factoryExport: "parquet",
  subset: "core",
});
