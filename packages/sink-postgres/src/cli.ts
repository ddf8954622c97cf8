/**
 * @berth/sink-postgres/cli — the `berth postgres transactions …` commands, for the core CLI to
 * dispatch to and for tools of your own.
 */
export { type CliOutput, runPostgresCli } from "./cli/postgres-cli.js";
