/**
 * Redaction of secrets in text Berth prints, logs or serves: the password of a URL's
 * userinfo (`postgres://app:s3cret@db/x` → `postgres://app:***@db/x`), secret query
 * parameters (`?password=`, `&X-Amz-Signature=`, `?sig=` …) and `password=…` pairs of
 * keyword/value connection strings (`host=db password=s3cret`). Connectors use it wherever
 * they name their target; the core uses it for logs, REST answers, metrics, CLI output and
 * `berth info`.
 */

/** Query parameter names whose value is a secret (case-insensitive). */
const SECRET_PARAMETERS = [
  "password",
  "passwd",
  "pwd",
  "pass",
  "secret",
  "token",
  "access_token",
  "access-token",
  "refresh_token",
  "id_token",
  "api_key",
  "api-key",
  "apikey",
  "access_key",
  "accesskey",
  "secret_key",
  "secretkey",
  "client_secret",
  "sslpassword",
  "sslkey",
  "key",
  "sig",
  "signature",
  "sas",
  "auth",
  "authorization",
  "credential",
  "credentials",
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token",
];

/** Names that are secret in `name=value` text outside a URL, too (never bare `key` or `sig`). */
const SECRET_WORDS = [
  "password",
  "passwd",
  "pwd",
  "sslpassword",
  "secret",
  "token",
  "access_token",
  "api_key",
  "apikey",
  "access_key",
  "secret_key",
  "client_secret",
];

const MASK = "***";

const escapeRegExp = (s: string) => s.replace(/[-[\]{}()*+?.,\\^$|#]/g, "\\$&");

/** `scheme://user:password@` — the password may be empty; the user is kept. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:"'<>]*):([^\s/?#@"'<>]*)@/gi;
/** `?name=value` or `&name=value` (also `;`), up to the next separator. */
const QUERY = new RegExp(`([?&;](?:${SECRET_PARAMETERS.map(escapeRegExp).join("|")})=)[^&;#\\s"'<>]*`, "gi");
/** `name=value` / `name: value` in free text (libpq keyword/value strings, env dumps). */
const PAIR = new RegExp(
  `(^|[\\s,{(])((?:${SECRET_WORDS.map(escapeRegExp).join("|")})\\s*[=:]\\s*)('[^']*'|"[^"]*"|[^\\s,;&)}]+)`,
  "gi",
);

/** Returns `text` with every secret it recognises replaced by `***`. */
export function redactSecrets(text: string): string {
  return text
    .replace(USERINFO, (_m, scheme: string, user: string) => `${scheme}${user}:${MASK}@`)
    .replace(QUERY, (_m, name: string) => `${name}${MASK}`)
    .replace(PAIR, (_m, before: string, name: string) => `${before}${name}${MASK}`);
}

/** Field names whose values are secrets wherever they appear in structured data. */
const SECRET_FIELD = new RegExp(`^(?:${SECRET_WORDS.map(escapeRegExp).join("|")}|authorization)$`, "i");

/** A deep copy of `value` with secret strings redacted and secret-named fields masked. */
export function redactValue<T>(value: T): T {
  return redactAny(value, 0) as T;
}

function redactAny(value: unknown, depth: number): unknown {
  if (typeof value === "string") return redactSecrets(value);
  if (depth > 20 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return redactSecrets(value.message);
  if (Array.isArray(value)) return value.map((v) => redactAny(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_FIELD.test(k) && v !== undefined && v !== null ? MASK : redactAny(v, depth + 1);
  }
  return out;
}
