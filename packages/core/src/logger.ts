/**
 * Structured logging (pino) to stdout — stderr is kept for the CLI's one-line failure
 * message. In a terminal each entry is one readable line (`12:00:01.234 WARN message
 * key=value`); otherwise JSON lines for log collectors — `BERTH_LOG_FORMAT` (`pretty` or
 * `json`, set by `berth --log-format`) chooses either way. Level from `BERTH_LOG_LEVEL`
 * (default "info"). Every message and field passes through {@link redactValue}, so a
 * connection string or password never reaches a log line.
 */
import pino from "pino";
import { redactSecrets, redactValue } from "./redact.js";

export type Logger = {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
};

function wrap(logger: pino.Logger): Logger {
  const fields = (f: Record<string, unknown> | undefined) => (f ? redactValue(f) : {});
  return {
    info: (message, f) => logger.info(fields(f), redactSecrets(message)),
    warn: (message, f) => logger.warn(fields(f), redactSecrets(message)),
    error: (message, f) => logger.error(fields(f), redactSecrets(message)),
    child: (bindings) => wrap(logger.child(redactValue(bindings))),
  };
}

/** pino's JSON line as `time LEVEL msg key=value …`, for a person at a terminal. */
export function readableLine(json: string): string {
  const {
    time,
    level,
    msg,
    pid: _pid,
    hostname: _hostname,
    ...rest
  } = JSON.parse(json) as Record<string, unknown>;
  const label = (pino.levels.labels[Number(level)] ?? String(level)).toUpperCase();
  const clock = new Date(Number(time)).toISOString().slice(11, 23);
  const extra = Object.entries(rest).map(
    ([k, v]) => ` ${k}=${typeof v === "string" ? v : JSON.stringify(v)}`,
  );
  return `${clock} ${label.padEnd(5)} ${String(msg)}${extra.join("")}\n`;
}

function stdoutDestination(): pino.DestinationStream {
  // Synchronous: the CLI exits right after its last line, which must not be lost in a buffer.
  const format = process.env.BERTH_LOG_FORMAT || (process.stdout.isTTY ? "pretty" : "json");
  if (format !== "pretty") return pino.destination({ dest: 1, sync: true });
  return { write: (line: string) => void process.stdout.write(readableLine(line)) };
}

/** A logger to stdout, or to `destination` (tests capture logs this way). */
export function createLogger(
  level = process.env.BERTH_LOG_LEVEL ?? "info",
  destination: pino.DestinationStream = stdoutDestination(),
): Logger {
  return wrap(pino({ level, base: { pid: process.pid } }, destination));
}
