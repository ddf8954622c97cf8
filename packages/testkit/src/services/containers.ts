/**
 * The same services as testcontainers, for machines with a Docker engine and no services
 * named in the environment (see `chooseServiceSource`). The images match the local services:
 * Kafka 4.4 and 3.9 in KRaft mode with the same broker settings, PostgreSQL 15 with two-phase commit on,
 * S3Proxy with the filesystem store and the same credentials. Containers belong to the calling
 * process (testcontainers removes them when it exits); `pnpm services up` never uses Docker.
 */
import type { StartedTestContainer } from "testcontainers";
import { DEFAULT_ENV, type ServiceEndpoints } from "./endpoints.js";
import { WANTED_MAX_PREPARED_TRANSACTIONS } from "./existing-postgres.js";
import { KAFKA_RELEASES, kafkaBrokerSettings } from "./kafka-server.js";
import { freePort } from "./processes.js";
import { S3PROXY_VERSION } from "./s3-server.js";

export const CONTAINER_IMAGES = {
  kafka: `apache/kafka:${KAFKA_RELEASES["4.4"]}`,
  // apache/kafka publishes up to 3.9.1 on the 3.9 line; same protocol as the local 3.9.x.
  kafka39: "apache/kafka:3.9.1",
  postgres: "postgres:15",
  s3: `andrewgaul/s3proxy:${S3PROXY_VERSION}`,
} as const;

export interface StartedServiceContainers {
  endpoints: ServiceEndpoints;
  /** Stops and removes the containers. */
  stop(): Promise<void>;
}

/** `a.b.c` → `KAFKA_A_B_C`, the apache/kafka image's way of taking server properties. */
function kafkaEnv(settings: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(settings).map(([k, v]) => [`KAFKA_${k.replace(/\./g, "_").toUpperCase()}`, v]),
  );
}

export async function startServiceContainers(): Promise<StartedServiceContainers> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import("testcontainers");
  const host = (await getContainerRuntimeClient()).info.containerRuntime.host;
  // Kafka must advertise its host port, so it is bound, not random.
  const kafkaPort = await freePort();
  const kafka39Port = await freePort();
  const accessKeyId = DEFAULT_ENV.S3_ACCESS_KEY_ID;
  const secretAccessKey = DEFAULT_ENV.S3_SECRET_ACCESS_KEY;

  const kafkaContainer = (image: string, port: number) =>
    new GenericContainer(image)
      .withExposedPorts({ container: 9092, host: port })
      .withEnvironment({
        KAFKA_NODE_ID: "1",
        KAFKA_PROCESS_ROLES: "broker,controller",
        KAFKA_LISTENERS: "PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:9094,CONTROLLER://0.0.0.0:9093",
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${port},BROKER://localhost:9094`,
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT",
        KAFKA_INTER_BROKER_LISTENER_NAME: "BROKER",
        KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
        KAFKA_CONTROLLER_QUORUM_VOTERS: "1@localhost:9093",
        ...kafkaEnv(kafkaBrokerSettings()),
      })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .withStartupTimeout(180_000);
  const kafka = kafkaContainer(CONTAINER_IMAGES.kafka, kafkaPort);
  const kafka39 = kafkaContainer(CONTAINER_IMAGES.kafka39, kafka39Port);

  const postgres = new GenericContainer(CONTAINER_IMAGES.postgres)
    .withExposedPorts(5432)
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: "trust", POSTGRES_DB: "berth" })
    .withCommand(["postgres", "-c", `max_prepared_transactions=${WANTED_MAX_PREPARED_TRANSACTIONS}`])
    // The entrypoint starts the server twice (init, then for real): wait for the second.
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .withStartupTimeout(120_000);

  const s3 = new GenericContainer(CONTAINER_IMAGES.s3)
    .withExposedPorts(8080)
    .withEnvironment({
      S3PROXY_ENDPOINT: "http://0.0.0.0:8080",
      S3PROXY_AUTHORIZATION: "aws-v2-or-v4",
      S3PROXY_IDENTITY: accessKeyId,
      S3PROXY_CREDENTIAL: secretAccessKey,
      JCLOUDS_PROVIDER: "filesystem",
      JCLOUDS_IDENTITY: accessKeyId,
      JCLOUDS_CREDENTIAL: secretAccessKey,
      JCLOUDS_FILESYSTEM_BASEDIR: "/data",
    })
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(120_000);

  const settled = await Promise.allSettled([kafka.start(), kafka39.start(), postgres.start(), s3.start()]);
  const started = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const stopAll = async (containers: StartedTestContainer[]) => {
    await Promise.allSettled(containers.map((c) => c.stop()));
  };
  const failure = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) {
    await stopAll(started);
    throw failure.reason;
  }
  const [k, k39, p, s] = started as [
    StartedTestContainer,
    StartedTestContainer,
    StartedTestContainer,
    StartedTestContainer,
  ];
  return {
    endpoints: {
      kafka: { brokers: [`${host}:${kafkaPort}`] },
      kafka39: { brokers: [`${host}:${kafka39Port}`] },
      postgres: { connectionString: `postgres://postgres@${p.getHost()}:${p.getMappedPort(5432)}/berth` },
      s3: {
        endpoint: `http://${s.getHost()}:${s.getMappedPort(8080)}`,
        region: DEFAULT_ENV.S3_REGION,
        credentials: { accessKeyId, secretAccessKey },
        forcePathStyle: true,
      },
    },
    stop: () => stopAll([k, k39, p, s]),
  };
}
