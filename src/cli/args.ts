// Command line parsing: `chatd [serve|migrate|reindex|healthcheck|version|help] [--flag value ...]`.
import { parseArgs } from "node:util";
import { type Setting, settings } from "../config/schema";

export type Command = "serve" | "migrate" | "reindex" | "healthcheck" | "version" | "help";

/** `room`: `reindex --room ID` (only that command takes it). */
export type ParsedArgs = { command: Command; flags: Record<string, string>; room?: string };

export class UsageError extends Error {}

const commands: Command[] = ["serve", "migrate", "reindex", "healthcheck", "version", "help"];

export function parseCommandLine(argv: string[]): ParsedArgs {
  const flagNames = Object.values(settings).flatMap((s: Setting<unknown>) => (s.flag ? [s.flag.slice(2)] : []));
  const options = Object.fromEntries(flagNames.map((name) => [name, { type: "string" as const }]));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        ...options,
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
        room: { type: "string" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (see chatd --help)`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}" (see chatd --help)`);
  const word = positionals[0] ?? "serve";
  if (!commands.includes(word as Command)) throw new UsageError(`unknown command "${word}" (see chatd --help)`);
  const command: Command = values.help ? "help" : values.version ? "version" : (word as Command);
  const flags: Record<string, string> = {};
  for (const name of flagNames) {
    const value = values[name];
    if (typeof value === "string") flags[`--${name}`] = value;
  }
  const room = values.room;
  if (typeof room === "string") {
    if (command !== "reindex") throw new UsageError("--room goes with reindex only (see chatd --help)");
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(room))
      throw new UsageError(`--room must be a room id (a UUID), got "${room.slice(0, 40)}"`);
    return { command, flags, room: room.toLowerCase() };
  }
  return { command, flags };
}
