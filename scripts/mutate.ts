// Mutation runner: for each named mutation (scripts/mutations.ts) it replaces one exact piece of source
// with a broken one, runs the mutation's tests (`bun test --bail`, embedded backends only), and counts
// the mutation killed when a test fails, survived when all pass. The file is restored after every run,
// also on Ctrl-C or a crash: the original is journalled in .mutate-journal.json before the write, and
// a later run restores from a journal it finds. Each run's output is kept in .test-results/mutate/.
// Before any mutation the same tests must pass on the unmutated tree. Exit status 1 when a mutation
// survived or could not be applied, or when the tree is not as it was at the end.
//
//   bun scripts/mutate.ts [--list] [name ...]
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_TESTS, type Mutation, mutations } from "./mutations";

const root = join(import.meta.dir, "..");
const journal = join(root, ".mutate-journal.json");
/** Each run's test output, to see why a mutation was killed: .test-results/mutate/<name>.log */
const logs = join(root, ".test-results", "mutate");
/** A mutation whose tests run longer than this is stopped and counted as killed (it hung the suite). */
const RUN_TIMEOUT_MS = 300_000;

type Journal = { file: string; original: string };
type Outcome = {
  name: string;
  result: "killed" | "survived" | "timeout" | "not applied";
  seconds: number;
  note: string;
};

function restoreFromJournal() {
  if (!existsSync(journal)) return;
  const { file, original } = JSON.parse(readFileSync(journal, "utf8")) as Journal;
  writeFileSync(join(root, file), original);
  rmSync(journal);
  console.error(`mutate: restored ${file} from ${journal}`);
}

let child: Bun.Subprocess | undefined;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    child?.kill("SIGKILL");
    restoreFromJournal();
    process.exit(130);
  });
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;

/** `bun test` as scripts/test runs it (same per-test timeout), stopping at the first failure. */
const testCommand = (tests: string[]) => ["bun", "test", "--timeout", "30000", "--bail", ...tests];
const testEnv = { ...process.env, CHATD_TEST_STORE: "", TEST_LOG: "" };

async function run(mutation: Mutation): Promise<Outcome> {
  const path = join(root, mutation.file);
  const original = readFileSync(path, "utf8");
  const found = occurrences(original, mutation.from);
  if (found !== 1)
    return { name: mutation.name, result: "not applied", seconds: 0, note: `search text found ${found} times` };
  writeFileSync(journal, JSON.stringify({ file: mutation.file, original } satisfies Journal));
  const started = performance.now();
  try {
    writeFileSync(path, original.replace(mutation.from, mutation.to));
    const tests = Bun.spawn(testCommand(mutation.tests ?? DEFAULT_TESTS), {
      cwd: root,
      env: testEnv,
      stdout: "ignore",
      stderr: "pipe",
    });
    child = tests;
    const output = new Response(tests.stderr).text();
    const timer = setTimeout(() => tests.kill("SIGKILL"), RUN_TIMEOUT_MS);
    const code = await tests.exited;
    clearTimeout(timer);
    const seconds = (performance.now() - started) / 1000;
    writeFileSync(join(logs, `${mutation.name}.log`), await output);
    const failed = (await output).split("\n").find((line) => line.startsWith("(fail)")) ?? "";
    if (tests.signalCode === "SIGKILL") return { name: mutation.name, result: "timeout", seconds, note: "" };
    return {
      name: mutation.name,
      result: code === 0 ? "survived" : "killed",
      seconds,
      note: code === 0 ? mutation.why : failed.replace(/^\(fail\) /, "").slice(0, 110),
    };
  } finally {
    child = undefined;
    writeFileSync(path, original);
    rmSync(journal, { force: true });
  }
}

restoreFromJournal();
mkdirSync(logs, { recursive: true });
const args = process.argv.slice(2);
if (args.includes("--list")) {
  for (const m of mutations) console.log(`${m.name.padEnd(34)} ${m.file}  ${m.why}`);
  process.exit(0);
}
const unknown = args.filter((name) => !mutations.some((m) => m.name === name));
if (unknown.length > 0) {
  console.error(`mutate: unknown mutation ${unknown.join(", ")} (see --list)`);
  process.exit(2);
}
const chosen = args.length > 0 ? mutations.filter((m) => args.includes(m.name)) : mutations;
const files = [...new Set(chosen.map((m) => m.file))];
const before = new Map(files.map((file) => [file, readFileSync(join(root, file), "utf8")]));

// A kill only means something when the same tests pass on the unmutated tree.
const suites = [...new Set(chosen.flatMap((m) => m.tests ?? DEFAULT_TESTS))];
const baseline = Bun.spawnSync(testCommand(suites), { cwd: root, env: testEnv, stdout: "ignore", stderr: "pipe" });
if (baseline.exitCode !== 0) {
  const failed = baseline.stderr
    .toString()
    .split("\n")
    .filter((line) => line.startsWith("(fail)"));
  console.error(`mutate: the tests fail without any mutation; fix them first:\n${failed.join("\n")}`);
  process.exit(1);
}
console.log(`baseline: ${suites.join(" ")} pass unmutated`);

const outcomes: Outcome[] = [];
for (const [i, mutation] of chosen.entries()) {
  const outcome = await run(mutation);
  outcomes.push(outcome);
  console.log(
    `[${String(i + 1).padStart(2)}/${chosen.length}] ${outcome.result.padEnd(11)} ${mutation.name.padEnd(34)} ` +
      `${outcome.seconds.toFixed(1).padStart(5)} s  ${outcome.note}`,
  );
}

const changed = files.filter((file) => readFileSync(join(root, file), "utf8") !== before.get(file));
const count = (result: Outcome["result"]) => outcomes.filter((o) => o.result === result).length;
console.log(
  `\nmutations: ${outcomes.length}, killed ${count("killed") + count("timeout")} (${count("timeout")} by timeout), ` +
    `survived ${count("survived")}, not applied ${count("not applied")}`,
);
for (const o of outcomes.filter((o) => o.result === "survived" || o.result === "not applied"))
  console.log(`  ${o.result}: ${o.name} — ${o.note}`);
if (changed.length > 0) console.error(`mutate: the tree differs from before the run: ${changed.join(", ")}`);
process.exit(count("survived") + count("not applied") + changed.length > 0 ? 1 : 0);
