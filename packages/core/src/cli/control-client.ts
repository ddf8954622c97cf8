/** The CLI's client of a job's REST control plane, found through the registry. */
import { findJob, type JobRegistration } from "../control/job-registry.js";
import { CliError, ExitCode } from "./exit-codes.js";

export class ControlClient {
  private constructor(private readonly job: JobRegistration) {}

  static forJob(jobId: string): ControlClient {
    const job = findJob(jobId);
    if (!job)
      throw new CliError(
        `no running job ${jobId} on this machine (see berth list)`,
        ExitCode.JOB_NOT_AVAILABLE,
      );
    return new ControlClient(job);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`http://127.0.0.1:${this.job.port}${path}`, {
        method,
        headers: {
          "content-type": "application/json",
          ...(this.job.token ? { authorization: `Bearer ${this.job.token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new CliError(
        `job ${this.job.jobId} does not answer on port ${this.job.port} (${(error as Error).message}); it may have just ended`,
        ExitCode.JOB_NOT_AVAILABLE,
      );
    }
    const json = (await response.json().catch(() => ({}))) as T & { errors?: string[] };
    if (!response.ok)
      throw new CliError(json.errors?.join("; ") ?? `HTTP ${response.status}`, ExitCode.JOB_NOT_AVAILABLE);
    return json;
  }
}
