/** Structured logging (pino) to stderr; level from `BERTH_LOG_LEVEL` (default "info"). */
import pino from "pino";

export type Logger = {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
};

function wrap(logger: pino.Logger): Logger {
  return {
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
    child: (bindings) => wrap(logger.child(bindings)),
  };
}

export function createLogger(level = process.env.BERTH_LOG_LEVEL ?? "info"): Logger {
  return wrap(pino({ level, base: { pid: process.pid } }, pino.destination(2)));
}
