// Prints the suite's totals from bun's JUnit report as one plain line: "tests: N passed, N failed, N skipped".
const file = process.argv[2];
if (!file) throw new Error("usage: bun scripts/test-summary.ts <junit.xml>");
const xml = await Bun.file(file).text();
const root = /<testsuites\b[^>]*>/.exec(xml)?.[0] ?? "";
const count = (name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(root)?.[1] ?? 0);
const [tests, failures, skipped] = [count("tests"), count("failures") + count("errors"), count("skipped")];
console.log(`tests: ${tests - failures - skipped} passed, ${failures} failed, ${skipped} skipped`);

export {};
