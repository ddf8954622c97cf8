/**
 * Real services for tests, examples and benchmarks: where they are (`serviceEndpoints`), the
 * servers behind `pnpm services up` (`KafkaServer`, `S3Server`, `ExistingPostgres`, each taking
 * its own ports and folder, so a private instance is another object; `PrivatePostgres` starts a
 * PostgreSQL server of a test's own), readiness probes, Docker
 * detection and the testcontainers alternative.
 */
export { CONTAINER_IMAGES, type StartedServiceContainers, startServiceContainers } from "./containers.js";
export {
  chooseServiceSource,
  type DockerEndpoint,
  type DockerSurroundings,
  detectDocker,
  dockerEndpoint,
  isDockerReachable,
  pingDocker,
  type ServiceSource,
} from "./docker.js";
export {
  DEFAULT_ENV,
  type EndpointVariable,
  endpointEnv,
  externallyProvided,
  type KafkaEndpoint,
  LOCATED_SERVICES,
  namedByEnvironment,
  type PostgresEndpoint,
  type S3Endpoint,
  type ServiceEndpoints,
  type ServiceName,
  SHARED_PORTS,
  serviceEndpoints,
} from "./endpoints.js";
export {
  ExistingPostgres,
  type ExistingPostgresOptions,
  WANTED_MAX_PREPARED_TRANSACTIONS,
} from "./existing-postgres.js";
export { ExternalService } from "./external-service.js";
export { JavaServer, type JavaServerOptions } from "./java-server.js";
export { isKafkaReady, kafkaTransactionalCommit, READY_TOPIC } from "./kafka-probe.js";
export {
  DEFAULT_KAFKA_LINE,
  KAFKA_RELEASES,
  KAFKA_TRANSACTION_MAX_TIMEOUT_MS,
  KAFKA_VERSION,
  type KafkaLine,
  KafkaServer,
  type KafkaServerOptions,
  kafkaBrokerSettings,
} from "./kafka-server.js";
export { ensureMavenRuntime, type MavenCoordinate, type MavenRuntimeSpec } from "./maven-runtime.js";
export { REPO_ROOT, servicesDir } from "./paths.js";
export { PrivatePostgres, type PrivatePostgresOptions, postgresBinDir } from "./private-postgres.js";
export { freePort } from "./processes.js";
export { isS3Ready } from "./s3-probe.js";
export { S3PROXY_VERSION, S3Server, type S3ServerOptions } from "./s3-server.js";
export type {
  ProgressLog,
  ServiceInstance,
  ServiceStatus,
  StartOutcome,
  StartResult,
  StopOutcome,
  StopResult,
} from "./service.js";
export { ServiceError, type ServiceErrorCode } from "./service-error.js";
export { SERVICE_NAMES, type SharedServicesOptions, sharedServices } from "./shared-services.js";
