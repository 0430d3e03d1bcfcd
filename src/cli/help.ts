// `chatd --help`: commands, then every flag and environment variable with its default, from the config schema.
import { type Setting, settings } from "../config/schema";

const defaultOf = (setting: Setting<unknown>) =>
  setting.defaultText ?? (setting.default === undefined ? "unset" : String(setting.default));

export function helpText(version: string): string {
  const rows = Object.values(settings).map((s: Setting<unknown>) => ({
    name: s.flag ? `${s.flag}, ${s.env}` : s.env,
    text: `${s.description} (default: ${defaultOf(s)})`,
  }));
  const width = Math.max(...rows.map((row) => row.name.length)) + 2;
  return [
    `chatd ${version}: real-time chat backend (REST API + WebSocket gateway) in one binary`,
    "",
    "Usage:",
    "  chatd [serve] [--role all|api|ws|indexer] [--port N] [--data-dir DIR]   run the server (default)",
    "  chatd migrate [--data-dir DIR]   apply storage migrations; idempotent",
    "  chatd reindex [--room ID]        rebuild the search index (of one room) from storage",
    "  chatd healthcheck [--host H] [--port N]   exit 0 when the local server is ready (GET /readyz), else 1",
    "  chatd version                    print the version",
    "  chatd --help                     this text",
    "",
    "Configuration (flags win over environment variables, which win over defaults):",
    ...rows.map((row) => `  ${row.name.padEnd(width)}${row.text}`),
    "",
  ].join("\n");
}
