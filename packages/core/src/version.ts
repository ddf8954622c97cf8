/** This package's version, recorded in every checkpoint and savepoint. */
import { createRequire } from "node:module";

export const SDK_VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string })
  .version;
