// What the broker advertises (ADR 0022): its finalized features (transaction.version) and the
// InitProducerId and EndTxn versions it accepts, from an ApiVersions request sent with
// @platformatic/kafka's exported protocol API. Needs Node >= 22.22 and CLIENTS_DIR.
import { createRequire } from "node:module";
import path from "node:path";

const [host, port] = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",")[0].split(":");
const scratchRequire = createRequire(path.join(process.env.CLIENTS_DIR ?? process.cwd(), "noop.js"));
const pk = await import(scratchRequire.resolve("@platformatic/kafka"));
const connection = new pk.Connection("features");
await connection.connect(host, Number(port));
const answer = await pk.apiVersionsV3.api.async(connection, "features", "1");
await connection.close();
const transactionVersion = answer.finalizedFeatures.find((f) => f.name === "transaction.version");
const versions = answer.apiKeys.filter((a) => a.apiKey === 22 || a.apiKey === 26);
console.log(JSON.stringify({ transactionVersion: transactionVersion?.maxVersionLevel ?? null, versions }));
