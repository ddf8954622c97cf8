/**
 * Structured logging (pino) to stderr; level from `BERTH_LOG_LEVEL` (default "info").
 * Every message and field passes through {@link redactValue}, so a connection string or
 * password never reaches a log line.
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

/** A logger to stderr, or to `destination` (tests capture logs this way). */
export function createLogger(
  level = process.env.BERTH_LOG_LEVEL ?? "info",
  destination: pino.DestinationStream = pino.destination(2),
): Logger {
  return wrap(pino({ level, base: { pid: process.pid } }, destination));
}
