/**
 * @berth/sink-s3/cli — the `berth s3 uploads …` commands, for the core CLI to dispatch to and
 * for tools of your own.
 */
export { type CliOutput, runS3Cli } from "./cli/s3-cli.js";
