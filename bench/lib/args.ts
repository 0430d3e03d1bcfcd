// Command-line options of a scenario: `--name value` or `--name=value`, typed by their defaults,
// bounded so a run always stays finite; `--help` lists them.

type Option<T> = { default: T; help: string; min?: number; max?: number };
type Spec = Record<string, Option<number> | Option<string> | Option<boolean>>;
type Values<S extends Spec> = { [K in keyof S]: S[K]["default"] };

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export class UsageError extends Error {}

export function parseArgs<S extends Spec>(scenario: string, spec: S, argv = process.argv.slice(2)): Values<S> {
  const values = Object.fromEntries(Object.entries(spec).map(([k, o]) => [k, o.default])) as Record<string, unknown>;
  const byFlag = new Map(Object.keys(spec).map((k) => [`--${kebab(k)}`, k]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(usage(scenario, spec));
      process.exit(0);
    }
    const [flag, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg];
    const key = byFlag.get(flag!);
    if (!key) throw new UsageError(`unknown option ${flag} (see --help)`);
    const option = spec[key]!;
    if (typeof option.default === "boolean") {
      values[key] = inline === undefined ? true : inline !== "false";
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new UsageError(`${flag} needs a value`);
    if (typeof option.default === "number") {
      const value = Number(raw);
      const { min = 0, max = Number.MAX_SAFE_INTEGER } = option as Option<number>;
      if (!Number.isFinite(value) || value < min || value > max)
        throw new UsageError(`${flag} must be a number from ${min} to ${max}, got "${raw}"`);
      values[key] = value;
    } else values[key] = raw;
  }
  return values as Values<S>;
}

/** parseArgs for a program's own command line: a usage error prints one line and exits 2. */
export function parseCommandLine<S extends Spec>(scenario: string, spec: S): Values<S> {
  try {
    return parseArgs(scenario, spec);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench/${scenario}: ${error.message}\n`);
    process.exit(2);
  }
}

function usage(scenario: string, spec: Spec) {
  const lines = Object.entries(spec).map(([k, o]) => {
    const bounds = "min" in o || "max" in o ? ` [${o.min ?? 0}..${o.max ?? "∞"}]` : "";
    return `  --${kebab(k).padEnd(20)} ${o.help} (default: ${String(o.default) || '""'})${bounds}`;
  });
  return `usage: bun bench/${scenario}.ts [options]\n${lines.join("\n")}\n`;
}
