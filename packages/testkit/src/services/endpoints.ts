/**
 * Where the services live. Every test, example and benchmark asks this module, so one set of
 * environment variables points the whole suite at other servers.
 *
 * | variable | default |
 * |---|---|
 * | `KAFKA_BROKERS` (comma separated) | `127.0.0.1:9092` (Kafka 4.4) |
 * | `KAFKA_3_9_BROKERS` (comma separated) | `127.0.0.1:9094` (Kafka 3.9) |
 * | `PG_URL` | `postgres://postgres@127.0.0.1:5432/berth` |
 * | `S3_ENDPOINT` | `http://127.0.0.1:9000` |
 * | `S3_ACCESS_KEY_ID` | `berth` |
 * | `S3_SECRET_ACCESS_KEY` | `berth-secret` |
 * | `S3_REGION` | `us-east-1` |
 *
 * S3 always uses path-style addressing (`forcePathStyle: true`).
 */

/** Fixed loopback ports of the shared instances that `pnpm services up` starts. */
export const SHARED_PORTS = {
  kafka: 9092,
  kafkaController: 9093,
  kafka39: 9094,
  kafka39Controller: 9095,
  s3: 9000,
  postgres: 5432,
} as const;

export const S3_DEFAULT_ACCESS_KEY_ID = "berth";
export const S3_DEFAULT_SECRET_ACCESS_KEY = "berth-secret";

export const DEFAULT_ENV = {
  KAFKA_BROKERS: `127.0.0.1:${SHARED_PORTS.kafka}`,
  KAFKA_3_9_BROKERS: `127.0.0.1:${SHARED_PORTS.kafka39}`,
  PG_URL: `postgres://postgres@127.0.0.1:${SHARED_PORTS.postgres}/berth`,
  S3_ENDPOINT: `http://127.0.0.1:${SHARED_PORTS.s3}`,
  S3_ACCESS_KEY_ID: S3_DEFAULT_ACCESS_KEY_ID,
  S3_SECRET_ACCESS_KEY: S3_DEFAULT_SECRET_ACCESS_KEY,
  S3_REGION: "us-east-1",
} as const;

export type EndpointVariable = keyof typeof DEFAULT_ENV;

export interface KafkaEndpoint {
  /** `host:port` list, ready for `new Kafka({ brokers })`. */
  brokers: string[];
}

export interface PostgresEndpoint {
  /** Ready for `new pg.Client({ connectionString })`. */
  connectionString: string;
}

/** Shaped as an `S3ClientConfig`: `new S3Client(endpoints.s3)` works as it is. */
export interface S3Endpoint {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: true;
}

export interface ServiceEndpoints {
  /** The default broker (Kafka 4.4 when `pnpm services up` runs it). */
  kafka: KafkaEndpoint;
  /** The Kafka 3.9 broker, for the tests that also run on 3.x. */
  kafka39: KafkaEndpoint;
  postgres: PostgresEndpoint;
  s3: S3Endpoint;
}

type Env = Readonly<Record<string, string | undefined>>;

function read(env: Env, name: EndpointVariable): string {
  const value = env[name]?.trim();
  return value ? value : DEFAULT_ENV[name];
}

/** The endpoints every test, example and benchmark uses: environment overrides, else the defaults. */
function brokers(env: Env, name: "KAFKA_BROKERS" | "KAFKA_3_9_BROKERS"): KafkaEndpoint {
  return {
    brokers: read(env, name)
      .split(",")
      .map((b) => b.trim())
      .filter((b) => b.length > 0),
  };
}

export function serviceEndpoints(env: Env = process.env): ServiceEndpoints {
  return {
    kafka: brokers(env, "KAFKA_BROKERS"),
    kafka39: brokers(env, "KAFKA_3_9_BROKERS"),
    postgres: { connectionString: read(env, "PG_URL") },
    s3: {
      endpoint: read(env, "S3_ENDPOINT"),
      region: read(env, "S3_REGION"),
      credentials: {
        accessKeyId: read(env, "S3_ACCESS_KEY_ID"),
        secretAccessKey: read(env, "S3_SECRET_ACCESS_KEY"),
      },
      forcePathStyle: true,
    },
  };
}

/** The endpoint as environment variables, e.g. to hand to a child process. */
export function endpointEnv(endpoints: ServiceEndpoints): Record<EndpointVariable, string> {
  return {
    KAFKA_BROKERS: endpoints.kafka.brokers.join(","),
    KAFKA_3_9_BROKERS: endpoints.kafka39.brokers.join(","),
    PG_URL: endpoints.postgres.connectionString,
    S3_ENDPOINT: endpoints.s3.endpoint,
    S3_ACCESS_KEY_ID: endpoints.s3.credentials.accessKeyId,
    S3_SECRET_ACCESS_KEY: endpoints.s3.credentials.secretAccessKey,
    S3_REGION: endpoints.s3.region,
  };
}

export type ServiceName = "kafka" | "kafka-3.9" | "s3" | "postgres";

const locatingVariables: Record<ServiceName, EndpointVariable> = {
  kafka: "KAFKA_BROKERS",
  "kafka-3.9": "KAFKA_3_9_BROKERS",
  s3: "S3_ENDPOINT",
  postgres: "PG_URL",
};

/**
 * The services whose location the environment sets to something other than the default: the
 * suite uses servers someone else runs, so `pnpm services up` starts nothing for them.
 */
export function externallyProvided(env: Env = process.env): Set<ServiceName> {
  const provided = new Set<ServiceName>();
  for (const [service, variable] of Object.entries(locatingVariables) as [ServiceName, EndpointVariable][]) {
    const value = env[variable]?.trim();
    if (value && value !== DEFAULT_ENV[variable]) provided.add(service);
  }
  return provided;
}

/** The services whose locating variable is set at all (to any value, the default included). */
export function namedByEnvironment(env: Env = process.env): Set<ServiceName> {
  const named = new Set<ServiceName>();
  for (const [service, variable] of Object.entries(locatingVariables) as [ServiceName, EndpointVariable][]) {
    if (env[variable]?.trim()) named.add(service);
  }
  return named;
}

/** How many services a variable can point elsewhere (every one of them). */
export const LOCATED_SERVICES = Object.keys(locatingVariables).length;

/** The variable that points the suite at another server for `service`. */
export function locatingVariable(service: ServiceName): EndpointVariable {
  return locatingVariables[service];
}
