/**
 * A Kafka broker or S3 server someone else runs, named by the environment (KAFKA_BROKERS,
 * S3_ENDPOINT). Nothing is started or stopped; `start` only checks that it answers.
 */
import type { ServiceName } from "./endpoints.js";
import { locatingVariable } from "./endpoints.js";
import type { ServiceInstance, ServiceStatus, StartResult, StopResult } from "./service.js";
import { ServiceError } from "./service-error.js";

export class ExternalService implements ServiceInstance {
  constructor(
    readonly name: ServiceName,
    readonly endpoint: string,
    private readonly probe: (timeoutMs: number) => Promise<boolean>,
  ) {}

  async start(): Promise<StartResult> {
    const started = Date.now();
    if (!(await this.probe(15_000))) {
      throw new ServiceError(
        "NOT_READY",
        this.name,
        `${this.name}: ${locatingVariable(this.name)}=${this.endpoint} does not answer; start that server, or unset ${locatingVariable(this.name)} to use the one 'pnpm services up' runs`,
      );
    }
    return {
      service: this.name,
      endpoint: this.endpoint,
      outcome: "external",
      ms: Date.now() - started,
      detail: `set by ${locatingVariable(this.name)}`,
    };
  }

  async stop(): Promise<StopResult> {
    return { service: this.name, outcome: "left-running", detail: `set by ${locatingVariable(this.name)}` };
  }

  async status(): Promise<ServiceStatus> {
    const up = await this.probe(5_000);
    return {
      service: this.name,
      endpoint: this.endpoint,
      up,
      detail: `set by ${locatingVariable(this.name)}`,
    };
  }
}
