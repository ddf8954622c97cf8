/** `berth-kafka <args>`: the `berth kafka` commands as a command of their own. */
import { runKafkaCli } from "./kafka-cli.js";

process.exit(await runKafkaCli(process.argv.slice(2)));
