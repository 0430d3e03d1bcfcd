// Structured logging: one JSON object per line on stdout (stderr for warn and error), every line passed
// through the redaction rule (redact.ts) so secrets and personal data never reach the output.
import { redactingReplacer } from "./redact";

export { isSensitiveKey, REDACTED, redactText } from "./redact";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
export type LogFields = Record<string, unknown>;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type Logger = {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
};

/** Where finished lines go (without the newline). */
export type LogSink = (line: string, level: Exclude<LogLevel, "silent">) => void;

const stdio: LogSink = (line, level) => (rank[level] >= rank.warn ? process.stderr : process.stdout).write(`${line}\n`);

export function createLogger(level: LogLevel, base: LogFields = {}, sink: LogSink = stdio): Logger {
  const write = (at: Exclude<LogLevel, "silent">, msg: string, fields?: LogFields) => {
    if (rank[at] < rank[level]) return;
    sink(JSON.stringify({ time: new Date().toISOString(), level: at, msg, ...base, ...fields }, redactingReplacer), at);
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    child: (fields) => createLogger(level, { ...base, ...fields }, sink),
  };
}
