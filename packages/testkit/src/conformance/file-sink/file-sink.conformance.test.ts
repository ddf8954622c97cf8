import { describeSinkConformance } from "../../index.js";

// The reference sink runs the whole kit; a local directory has no server to restart.
describeSinkConformance("file sink", {
  factoryModule: new URL("./file-sink.conformance.ts", import.meta.url),
  skip: { "target-restart": "a local directory has no server to restart" },
});
