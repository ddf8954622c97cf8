/**
 * How a browser gets into a job's dashboard without the bearer token ever being in a URL
 * (ADR 0024): `berth ui <jobId>` asks the job (with the token) for a one-time code and prints
 * an address that carries it in the fragment — never sent to a server, never logged. The
 * page posts the code back and receives a session cookie (HttpOnly, SameSite=Strict), which
 * then stands in for the token on every route of this job.
 */
import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** A code not exchanged within this is worthless: run `berth ui` again. */
export const UI_CODE_TTL_MS = 60_000;
/** A browser session lasts at most this long (and never beyond the job's process). */
export const UI_SESSION_TTL_MS = 12 * 60 * 60_000;

/** Secrets are kept by their hash: a lookup's timing tells nothing about a stored value. */
function digest(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

function secret(): string {
  return randomBytes(32).toString("base64url");
}

export class UiAccess {
  private readonly codes = new Map<string, number>();
  private readonly sessions = new Map<string, number>();
  /** Cookies are per host, not per port: each job's cookie has its own name. */
  readonly cookieName: string;

  constructor(
    jobId: string,
    private readonly now: () => number = Date.now,
  ) {
    this.cookieName = `berth-${jobId}`;
  }

  /** A new one-time code, valid for {@link UI_CODE_TTL_MS}. */
  issueCode(): { code: string; expiresInMs: number } {
    this.prune();
    const code = secret();
    this.codes.set(digest(code), this.now() + UI_CODE_TTL_MS);
    return { code, expiresInMs: UI_CODE_TTL_MS };
  }

  /** Uses up `code`: the `Set-Cookie` header of a new session, or undefined for a used, expired or unknown code. */
  exchange(code: string): string | undefined {
    this.prune();
    const key = digest(code);
    if (!this.codes.has(key)) return undefined;
    this.codes.delete(key);
    const session = secret();
    this.sessions.set(digest(session), this.now() + UI_SESSION_TTL_MS);
    return `${this.cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${UI_SESSION_TTL_MS / 1000}`;
  }

  /** True when the request carries a live session cookie of this job. */
  hasSession(request: IncomingMessage): boolean {
    const cookies = request.headers.cookie;
    if (!cookies) return false;
    this.prune();
    for (const pair of cookies.split(";")) {
      const at = pair.indexOf("=");
      if (at < 0 || pair.slice(0, at).trim() !== this.cookieName) continue;
      if (this.sessions.has(digest(pair.slice(at + 1).trim()))) return true;
    }
    return false;
  }

  private prune(): void {
    const now = this.now();
    for (const store of [this.codes, this.sessions])
      for (const [key, expiresAt] of store) if (expiresAt <= now) store.delete(key);
  }
}
