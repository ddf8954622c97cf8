/** A test pipeline module whose factory throws: `berth run` exits 2 saying so, with no "started" line. */
import { definePipeline } from "../pipeline-module.js";

export default definePipeline(() => {
  throw new Error("KAFKA_TOPIC is not set");
});
