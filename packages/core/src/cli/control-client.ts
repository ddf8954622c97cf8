/** The CLI's client of a job's REST control plane, found through the registry. */
import { findJob, type JobRegistration } from "../control/job-registry.js";
import { CliError, ExitCode } from "./exit-codes.js";

/** One request to a job that neither answers nor fails (a stopped process) gives up after this. */
const REQUEST_TIMEOUT_MS = 10_000;

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

  /** The job's control plane, `http://127.0.0.1:<port>`. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.job.port}`;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          "content-type": "application/json",
          ...(this.job.token ? { authorization: `Bearer ${this.job.token}` } : {}),
        },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const reason =
        (error as Error).name === "TimeoutError"
          ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
          : (error as Error).message;
      throw new CliError(
        `job ${this.job.jobId} does not answer on port ${this.job.port} (${reason}); it may have just ended or be stuck (see berth list)`,
        ExitCode.JOB_NOT_AVAILABLE,
      );
    }
    const json = (await response.json().catch(() => ({}))) as T & { errors?: string[] };
    if (!response.ok)
      throw new CliError(json.errors?.join("; ") ?? `HTTP ${response.status}`, ExitCode.JOB_NOT_AVAILABLE);
    return json;
  }
}
