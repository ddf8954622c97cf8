/**
 * @berth/sink-kafka/cli — the `berth kafka …` commands (`abort-lingering`), for the core CLI
 * to dispatch to and for tools of your own.
 */
export { type CliOutput, runKafkaCli } from "./cli/kafka-cli.js";
