// Loads the configuration once at boot: flags, then environment variables, then defaults.
import { redactText } from "../log";
import { type Config, InvalidValue, type Setting, settings } from "./schema";

export type { Config, Role } from "./schema";
export { roles, settings } from "./schema";

/**
 * A bad value; the message names the variable (and the flag when it came from one). It shows the value
 * only for settings that are not secret, and then through the log redaction rule (no URL userinfo).
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export function loadConfig(flags: Record<string, string>, env: Record<string, string | undefined>): Config {
  const known = new Set(Object.values(settings).flatMap((s: Setting<unknown>) => (s.flag ? [s.flag] : [])));
  for (const flag of Object.keys(flags)) {
    if (!known.has(flag)) throw new ConfigError(`unknown flag ${flag} (see chatd --help)`);
  }
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings) as [string, Setting<unknown>][]) {
    const fromFlag = setting.flag ? flags[setting.flag] : undefined;
    const raw = fromFlag ?? env[setting.env];
    if (raw === undefined || (fromFlag === undefined && raw === "")) {
      config[key] = setting.default;
      continue;
    }
    try {
      config[key] = setting.parse(raw);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      const name = fromFlag !== undefined ? `${setting.flag} (${setting.env})` : setting.env;
      const got = setting.secret ? "(value not shown: it is secret)" : `got ${JSON.stringify(redactText(raw))}`;
      throw new ConfigError(`invalid ${name}: ${error.message}, ${got}`);
    }
  }
  return config as Config;
}

/** The defaults with explicit values over them, ignoring the environment (tests, embedding). */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({}, {}), ...overrides };
}
