/**
 * Where the examples find their targets: the environment, defaulting to the services that
 * `pnpm services up` starts on 127.0.0.1 (docs/services.md).
 */
import type { S3SinkOptions } from "@berth/sink-s3";

type S3ClientConfig = NonNullable<S3SinkOptions<unknown>["client"]>;

const env = (name: string, fallback: string): string => process.env[name] || fallback;

/** KAFKA_BROKERS, comma-separated (default 127.0.0.1:9092). */
export function kafkaBrokers(): string {
  return env("KAFKA_BROKERS", "127.0.0.1:9092");
}

/** PG_URL (default the services' `postgres://postgres@127.0.0.1:5432/berth`). */
export function postgresUrl(): string {
  return env("PG_URL", "postgres://postgres@127.0.0.1:5432/berth");
}

/** S3_ENDPOINT (path-style), S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY; defaults: the services' S3Proxy. */
export function s3Client(): S3ClientConfig {
  return {
    endpoint: env("S3_ENDPOINT", "http://127.0.0.1:9000"),
    region: env("S3_REGION", "us-east-1"),
    credentials: {
      accessKeyId: env("S3_ACCESS_KEY_ID", "berth"),
      secretAccessKey: env("S3_SECRET_ACCESS_KEY", "berth-secret"),
    },
    forcePathStyle: true,
  };
}

/** An integer setting ≥ `min` from the environment, or `fallback` when unset. */
export function integerSetting(name: string, fallback: number | undefined, min: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw} must be an integer ≥ ${min}`);
  return value;
}
