// Prints the totals of one or more of bun's JUnit reports (one per test pass) as one plain last line:
// "tests: N passed, N failed, N skipped". With several reports, a line per report comes first. A report
// that is missing (its pass crashed before writing it) is named and makes the exit status 1.
const files = process.argv.slice(2);
if (files.length === 0) throw new Error("usage: bun scripts/test-summary.ts <junit.xml>...");

type Totals = { passed: number; failed: number; skipped: number };
const line = (t: Totals) => `tests: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;

async function totals(file: string): Promise<Totals | null> {
  const report = Bun.file(file);
  if (!(await report.exists())) return null;
  const root = /<testsuites\b[^>]*>/.exec(await report.text())?.[0] ?? "";
  const count = (name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(root)?.[1] ?? 0);
  const [tests, failed, skipped] = [count("tests"), count("failures") + count("errors"), count("skipped")];
  return { passed: tests - failed - skipped, failed, skipped };
}

const sum: Totals = { passed: 0, failed: 0, skipped: 0 };
let missing = false;
for (const file of files) {
  const t = await totals(file);
  if (!t) missing = true;
  else for (const key of ["passed", "failed", "skipped"] as const) sum[key] += t[key];
  if (files.length > 1)
    console.log(`  ${file.split("/").at(-1)}: ${t ? line(t) : "MISSING (that pass did not finish)"}`);
}
console.log(line(sum));
if (missing) process.exit(1);

export {};
