/**
 * Apache Kafka as a single-node KRaft broker + controller, from the Maven Central jars, in one of
 * the release lines Berth is tested on (4.4, the default, and 3.9). The same broker settings
 * serve the local process and the testcontainers image (`kafkaBrokerSettings`).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { JavaServer, type JavaServerOptions, type NamedPort } from "./java-server.js";
import { isKafkaReady } from "./kafka-probe.js";
import type { MavenRuntimeSpec } from "./maven-runtime.js";
import { tailFile } from "./processes.js";
import { ServiceError } from "./service-error.js";

/**
 * The Kafka release lines `pnpm services up` runs, each pinned to one release: 4.4 is the
 * default (what users run; KIP-896 removed old protocol versions in 4.0, none that Berth
 * sends), 3.9 for users still on 3.x.
 */
export const KAFKA_RELEASES = { "4.4": "4.4.0", "3.9": "3.9.2" } as const;
export type KafkaLine = keyof typeof KAFKA_RELEASES;
export const DEFAULT_KAFKA_LINE: KafkaLine = "4.4";
/** The release of the default line. */
export const KAFKA_VERSION = KAFKA_RELEASES[DEFAULT_KAFKA_LINE];
export const KAFKA_SCALA_VERSION = "2.13";

/**
 * The log binding each line's distribution ships: Kafka 4 logs through Log4j 2 (the jars come
 * with kafka-server; its SLF4J 1.7 API needs the log4j-slf4j-impl bridge), Kafka 3 through reload4j.
 */
const LOG4J2_VERSION = "2.25.5";

/**
 * The broker's `transaction.max.timeout.ms`: the longest transaction timeout a producer may ask
 * for (15 minutes). The Kafka sink validates its transaction timeout against it.
 */
export const KAFKA_TRANSACTION_MAX_TIMEOUT_MS = 900_000;

/**
 * Broker settings for tests on a small machine: one replica everywhere, no rebalance delay,
 * topics created explicitly by tests (auto-create stays on for examples).
 */
export function kafkaBrokerSettings(): Record<string, string> {
  return {
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "4",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "4",
    "transaction.max.timeout.ms": String(KAFKA_TRANSACTION_MAX_TIMEOUT_MS),
    "min.insync.replicas": "1",
    "default.replication.factor": "1",
    "group.initial.rebalance.delay.ms": "0",
    "auto.create.topics.enable": "true",
    "num.partitions": "1",
    // A restarted combined node waits for its previous registration to expire before serving:
    // a shorter session (default 9 s) makes the restart after a SIGKILL quicker.
    "broker.heartbeat.interval.ms": "1000",
    "broker.session.timeout.ms": "6000",
    "num.network.threads": "2",
    "num.io.threads": "4",
    "background.threads": "4",
    "num.recovery.threads.per.data.dir": "1",
    "log.cleaner.dedupe.buffer.size": String(32 * 1024 * 1024),
  };
}

export interface KafkaServerOptions extends JavaServerOptions {
  /** Client (PLAINTEXT) port. */
  port: number;
  /** KRaft controller port. */
  controllerPort: number;
  /** JVM heap, `-Xmx`. Default `512m`. */
  maxHeap?: string;
  /** Settings added to or replacing {@link kafkaBrokerSettings}. */
  settings?: Record<string, string>;
  /** Release line. Default {@link DEFAULT_KAFKA_LINE} (4.4). */
  line?: KafkaLine;
  /** The service name it reports as (and names its pid file after). Default `kafka`. */
  name?: "kafka" | "kafka-3.9";
}

/** A Kafka cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints). */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

export class KafkaServer extends JavaServer {
  readonly name: "kafka" | "kafka-3.9";
  readonly port: number;
  readonly controllerPort: number;
  readonly line: KafkaLine;
  private readonly maxHeap: string;
  private readonly extraSettings: Record<string, string>;

  constructor(options: KafkaServerOptions) {
    super(options);
    this.name = options.name ?? "kafka";
    this.line = options.line ?? DEFAULT_KAFKA_LINE;
    this.port = options.port;
    this.controllerPort = options.controllerPort;
    this.maxHeap = options.maxHeap ?? "512m";
    this.extraSettings = options.settings ?? {};
  }

  get endpoint(): string {
    return `${this.host}:${this.port}`;
  }

  /** The pinned release this instance runs, e.g. `4.4.0`. */
  get version(): string {
    return KAFKA_RELEASES[this.line];
  }

  private get log4j2(): boolean {
    return this.line !== "3.9";
  }

  get brokers(): string[] {
    return [this.endpoint];
  }

  get propertiesFile(): string {
    return join(this.dir, "server.properties");
  }

  protected ports(): NamedPort[] {
    return [
      { label: "Kafka clients", port: this.port },
      { label: "KRaft controller", port: this.controllerPort },
    ];
  }

  protected runtime(): MavenRuntimeSpec {
    return {
      id: `kafka_${KAFKA_SCALA_VERSION}-${this.version}`,
      service: this.name,
      dependencies: [
        { groupId: "org.apache.kafka", artifactId: `kafka_${KAFKA_SCALA_VERSION}`, version: this.version },
        // kafka_2.13 depends on slf4j-api only; the distribution adds the binding.
        this.log4j2
          ? { groupId: "org.apache.logging.log4j", artifactId: "log4j-slf4j-impl", version: LOG4J2_VERSION }
          : { groupId: "org.slf4j", artifactId: "slf4j-reload4j", version: "1.7.36" },
      ],
    };
  }

  protected serverLog(): string {
    return join(this.logDir, "server.log");
  }

  private get log4jFile(): string {
    return join(this.dir, this.log4j2 ? "log4j2.properties" : "log4j.properties");
  }

  /** The JVM property that points the line's logging at {@link log4jFile}. */
  private get log4jProperty(): string {
    return this.log4j2
      ? `-Dlog4j2.configurationFile=${this.log4jFile}`
      : `-Dlog4j.configuration=file:${this.log4jFile}`;
  }

  /** Everything at INFO into a rolling `server.log`; the chattiest loggers at WARN. */
  private loggingConfig(): string[] {
    const quiet = ["kafka.request.logger", "state.change.logger", "kafka.log.LogCleaner"];
    if (!this.log4j2) {
      return [
        "log4j.rootLogger=INFO, file",
        "log4j.appender.file=org.apache.log4j.RollingFileAppender",
        `log4j.appender.file.File=${this.serverLog()}`,
        "log4j.appender.file.MaxFileSize=20MB",
        "log4j.appender.file.MaxBackupIndex=2",
        "log4j.appender.file.layout=org.apache.log4j.PatternLayout",
        "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n",
        ...quiet.map((name) => `log4j.logger.${name}=WARN`),
        "",
      ];
    }
    return [
      "appender.file.type=RollingFile",
      "appender.file.name=file",
      `appender.file.fileName=${this.serverLog()}`,
      `appender.file.filePattern=${this.serverLog()}.%i`,
      "appender.file.layout.type=PatternLayout",
      "appender.file.layout.pattern=[%d] %p %m (%c)%n",
      "appender.file.policies.type=Policies",
      "appender.file.policies.size.type=SizeBasedTriggeringPolicy",
      "appender.file.policies.size.size=20MB",
      "appender.file.strategy.type=DefaultRolloverStrategy",
      "appender.file.strategy.max=2",
      "rootLogger.level=INFO",
      "rootLogger.appenderRef.file.ref=file",
      ...quiet.flatMap((name, i) => [`logger.q${i}.name=${name}`, `logger.q${i}.level=WARN`]),
      "",
    ];
  }

  serverProperties(): Record<string, string> {
    return {
      "process.roles": "broker,controller",
      "node.id": "1",
      "controller.quorum.voters": `1@${this.host}:${this.controllerPort}`,
      listeners: `PLAINTEXT://${this.host}:${this.port},CONTROLLER://${this.host}:${this.controllerPort}`,
      "advertised.listeners": `PLAINTEXT://${this.host}:${this.port}`,
      "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "controller.listener.names": "CONTROLLER",
      "inter.broker.listener.name": "PLAINTEXT",
      "log.dirs": this.dataDir,
      ...kafkaBrokerSettings(),
      ...this.extraSettings,
    };
  }

  protected async prepare(lib: string): Promise<void> {
    const properties = Object.entries(this.serverProperties())
      .map(([k, v]) => `${k}=${v}`)
      .join("\n");
    await writeFile(
      this.propertiesFile,
      `# Generated by 'pnpm services up'; edits are overwritten.\n${properties}\n`,
    );
    await writeFile(this.log4jFile, this.loggingConfig().join("\n"));
    await this.formatStorage(lib);
  }

  /** `kafka-storage format`, once: the cluster id is generated on first use and kept. */
  private async formatStorage(lib: string): Promise<void> {
    if (existsSync(join(this.dataDir, "meta.properties"))) return;
    const idFile = join(this.dir, "cluster-id");
    let clusterId = existsSync(idFile) ? readFileSync(idFile, "utf8").trim() : "";
    if (!clusterId) {
      clusterId = newClusterId();
      await writeFile(idFile, `${clusterId}\n`);
    }
    const logFile = join(this.logDir, "format.log");
    const out = openSync(logFile, "w");
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(
        this.java,
        [
          ...this.lightJvm(),
          "-Xmx256m",
          this.log4jProperty,
          "-cp",
          join(lib, "*"),
          "kafka.tools.StorageTool",
          "format",
          "-t",
          clusterId,
          "-c",
          this.propertiesFile,
          "--ignore-formatted",
        ],
        { cwd: this.dir, stdio: ["ignore", out, out] },
      );
      child.once("error", reject);
      child.once("exit", (c) => resolve(c ?? 1));
    }).finally(() => closeSync(out));
    if (code !== 0) {
      throw new ServiceError(
        "START_FAILED",
        this.name,
        `kafka: formatting the storage in ${this.dataDir} failed (exit ${code}); see ${logFile}.\n${await tailFile(logFile)}`,
      );
    }
  }

  /** Flags that keep a JVM light on a 2-core machine and quick to start. */
  private lightJvm(): string[] {
    return ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"];
  }

  protected jvmOptions(): string[] {
    return [
      `-Xmx${this.maxHeap}`,
      "-Xms256m",
      ...this.lightJvm(),
      "-XX:+ExitOnOutOfMemoryError",
      this.log4jProperty,
      `-Dkafka.logs.dir=${this.logDir}`,
    ];
  }

  protected mainClass(): string {
    return "kafka.Kafka";
  }

  protected mainArguments(): string[] {
    return [this.propertiesFile];
  }

  isReady(timeoutMs = 10_000): Promise<boolean> {
    return isKafkaReady(this.brokers, timeoutMs);
  }
}
