/**
 * Kafka's own measure of the platform: the broker version the shared services run (read from
 * the running broker's class path, so a broker restarted at another version is recorded as
 * such), and Kafka's Java `ProducerPerformance` tool of that version, its jars resolved once
 * from Maven Central into the services' runtime cache as the broker's own are.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { ensureMavenRuntime } from "@berth/testkit/services";

export interface KafkaBroker {
  /** e.g. "3.9.2", or "unknown" when no local broker listens on the port. */
  readonly version: string;
  /** The runtime cache holding the broker's jars, where the tools' jars go too. */
  readonly runtimeDir: string | undefined;
}

/**
 * The local broker listening on `brokers[0]`'s port: found among the running `kafka.Kafka`
 * processes by the listeners of the properties file each was started with.
 */
export function localKafkaBroker(brokers: readonly string[]): KafkaBroker {
  const port = brokers[0]?.split(":").pop();
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (!args.includes("kafka.Kafka")) continue;
    const properties = args[args.indexOf("kafka.Kafka") + 1];
    let listeners = "";
    try {
      listeners = /^listeners=(.*)$/m.exec(readFileSync(properties ?? "", "utf8"))?.[1] ?? "";
    } catch {
      continue;
    }
    if (!listeners.split(",").some((l) => l.endsWith(`:${port}`))) continue;
    const classPath = args[args.indexOf("-cp") + 1] ?? "";
    const match = /^(.*)\/kafka_[\d.]+-(\d+\.\d+\.\d+[^/]*)\/lib/.exec(classPath);
    if (match) return { version: match[2] as string, runtimeDir: match[1] };
  }
  return { version: "unknown", runtimeDir: undefined };
}

export interface ProducerPerformanceRun {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly records: number;
  readonly recordBytes: number;
  /** With a transactional id: one transaction per second (`--transaction-duration-ms 1000`). */
  readonly transactionalId: string | undefined;
}

const TIMEOUT_MS = 600_000;

/** Runs ProducerPerformance once; resolves with its records per second over the whole run. */
export async function producerPerformance(
  work: string,
  broker: KafkaBroker,
  run: ProducerPerformanceRun,
): Promise<{ recordsPerSecond: number; line: string }> {
  const { version, runtimeDir } = broker;
  if (runtimeDir === undefined)
    throw new Error(`no local Kafka broker listens on ${run.brokers[0]}: start it with \`pnpm services up\``);
  const lib = await ensureMavenRuntime(
    {
      id: `kafka-tools-${version}`,
      service: "kafka-tools",
      dependencies: [
        { groupId: "org.apache.kafka", artifactId: "kafka-tools", version },
        { groupId: "org.slf4j", artifactId: "slf4j-nop", version: "1.7.36" },
      ],
    },
    runtimeDir,
  );
  const args = [
    "-Xmx256m",
    "-cp",
    `${lib}/*`,
    "org.apache.kafka.tools.ProducerPerformance",
    "--topic",
    run.topic,
    "--num-records",
    String(run.records),
    "--record-size",
    String(run.recordBytes),
    "--throughput",
    "-1",
    "--producer-props",
    `bootstrap.servers=${run.brokers.join(",")}`,
    "acks=all",
    "enable.idempotence=true",
    ...(run.transactionalId
      ? ["--transactional-id", run.transactionalId, "--transaction-duration-ms", "1000"]
      : []),
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn("java", args, { cwd: work, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new Error(`ProducerPerformance exited ${code}: ${out.trim().split("\n").slice(-3).join(" / ")}`),
        );
    });
  });
  // The summary line: "N records sent, R records/sec (M MB/sec), …"
  const summary = output
    .trim()
    .split("\n")
    .filter((l) => / records sent, [\d.]+ records\/sec/.test(l))
    .pop();
  const match = summary ? / records sent, ([\d.]+) records\/sec/.exec(summary) : null;
  if (!summary || !match) throw new Error(`ProducerPerformance printed no summary: ${output.slice(-300)}`);
  return { recordsPerSecond: Math.round(Number(match[1])), line: summary.trim() };
}
