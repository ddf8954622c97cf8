/**
 * The shared instances behind `pnpm services up|down|status`: Kafka 4.4 on 127.0.0.1:9092
 * (controller 9093), Kafka 3.9 on 127.0.0.1:9094 (controller 9095), S3Proxy on 127.0.0.1:9000,
 * and the machine's PostgreSQL on 127.0.0.1:5432, with data under `<repo>/.services`. A service
 * whose location the environment overrides is only checked.
 */
import { join } from "node:path";
import {
  externallyProvided,
  type ServiceEndpoints,
  type ServiceName,
  SHARED_PORTS,
  serviceEndpoints,
} from "./endpoints.js";
import { ExistingPostgres } from "./existing-postgres.js";
import { ExternalService } from "./external-service.js";
import { isKafkaReady } from "./kafka-probe.js";
import { DEFAULT_KAFKA_LINE, type KafkaLine, KafkaServer } from "./kafka-server.js";
import { servicesDir } from "./paths.js";
import { isS3Ready } from "./s3-probe.js";
import { S3Server } from "./s3-server.js";
import type { ProgressLog, ServiceInstance } from "./service.js";

export const SERVICE_NAMES: readonly ServiceName[] = ["kafka", "kafka-3.9", "s3", "postgres"];

export interface SharedServicesOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Default `<repo>/.services` (or BERTH_SERVICES_DIR). */
  dir?: string;
  log?: ProgressLog;
}

export function sharedServices(options: SharedServicesOptions = {}): Record<ServiceName, ServiceInstance> {
  const env = options.env ?? process.env;
  const dir = options.dir ?? servicesDir(env);
  const runtimeCache = join(dir, "runtime");
  const endpoints: ServiceEndpoints = serviceEndpoints(env);
  const external = externallyProvided(env);
  const log = options.log;
  // Each line keeps its own folder: a 4.x broker started on storage a 3.9 broker formatted
  // would run with the old metadata version (and transaction version 0).
  const kafka = (name: "kafka" | "kafka-3.9", line: KafkaLine, port: number, controllerPort: number) => {
    const brokers = endpoints[name === "kafka" ? "kafka" : "kafka39"].brokers;
    return external.has(name)
      ? new ExternalService(name, brokers.join(","), (t) => isKafkaReady(brokers, t))
      : new KafkaServer({
          name,
          line,
          port,
          controllerPort,
          dir: join(dir, `kafka-${line}`),
          runtimeCache,
          ...(log ? { log } : {}),
        });
  };
  return {
    kafka: kafka("kafka", DEFAULT_KAFKA_LINE, SHARED_PORTS.kafka, SHARED_PORTS.kafkaController),
    "kafka-3.9": kafka("kafka-3.9", "3.9", SHARED_PORTS.kafka39, SHARED_PORTS.kafka39Controller),
    s3: external.has("s3")
      ? new ExternalService("s3", endpoints.s3.endpoint, (t) => isS3Ready(endpoints.s3.endpoint, t))
      : new S3Server({
          port: SHARED_PORTS.s3,
          dir: join(dir, "s3"),
          runtimeCache,
          accessKeyId: endpoints.s3.credentials.accessKeyId,
          secretAccessKey: endpoints.s3.credentials.secretAccessKey,
          ...(log ? { log } : {}),
        }),
    postgres: new ExistingPostgres({
      connectionString: endpoints.postgres.connectionString,
      ...(log ? { log } : {}),
    }),
  };
}
