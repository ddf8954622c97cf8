/**
 * The shared instances behind `pnpm services up|down|status`: Kafka on 127.0.0.1:9092 (controller
 * 9093), S3Proxy on 127.0.0.1:9000, and the machine's PostgreSQL on 127.0.0.1:5432, with data
 * under `<repo>/.services`. A service whose location the environment overrides is only checked.
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
import { KafkaServer } from "./kafka-server.js";
import { servicesDir } from "./paths.js";
import { isS3Ready } from "./s3-probe.js";
import { S3Server } from "./s3-server.js";
import type { ProgressLog, ServiceInstance } from "./service.js";

export const SERVICE_NAMES: readonly ServiceName[] = ["kafka", "s3", "postgres"];

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
  return {
    kafka: external.has("kafka")
      ? new ExternalService("kafka", endpoints.kafka.brokers.join(","), (t) =>
          isKafkaReady(endpoints.kafka.brokers, t),
        )
      : new KafkaServer({
          port: SHARED_PORTS.kafka,
          controllerPort: SHARED_PORTS.kafkaController,
          dir: join(dir, "kafka"),
          runtimeCache,
          ...(log ? { log } : {}),
        }),
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
