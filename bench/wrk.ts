// REST figures from wrk (a C load generator, far cheaper per request than the Bun workers): the
// compiled chatd and the same-work baseline (bench/baseline/same-work.ts) answer the same request,
// alternating round by round, each round's ratio against the baseline of that round. Installs wrk
// with apt-get when it is missing. Each round also gives the server's CPU per request (from /proc), the
// steadier figure on a shared machine. `bun bench/wrk.ts [--path history|me|post] [--rounds 3] [--seconds 8]`
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signHs256 } from "./baseline/same-work";
import { parseCommandLine } from "./lib/args";
import { createRoom, createUsers, runPrefix } from "./lib/fixtures";
import { cpuSeconds } from "./lib/proc";
import { log } from "./lib/scenario";
import { BASELINE_JWT_SECRET, buildChatd, profileDir, startBaseline, startChatd, type Target } from "./lib/target";

const o = parseCommandLine("wrk", {
  path: {
    default: "history",
    help: "history (GET a 50-message page), me (GET /v1/users/me; baseline: echo) or post (POST a message)",
  },
  rounds: { default: 3, min: 1, max: 10, help: "rounds, each chatd then the baseline" },
  seconds: { default: 8, min: 1, max: 60, help: "seconds of wrk per target and round" },
  connections: { default: 64, min: 1, max: 1000, help: "wrk connections (one thread)" },
  profile: { default: "", help: "a directory: run chatd from source under `bun --cpu-prof`, profile written there" },
});

function ensureWrk(): string {
  const found = Bun.which("wrk");
  if (found) return found;
  log("wrk is not installed: apt-get install -y wrk");
  Bun.spawnSync(["apt-get", "install", "-y", "wrk"], { stdout: "ignore", stderr: "inherit" });
  const installed = Bun.which("wrk");
  if (!installed) throw new Error("wrk could not be installed (try apt-get update first)");
  return installed;
}

/** A token and a URL on `target` for the request: 60 messages posted first, so pages are full. */
async function prepare(target: Target): Promise<{ token: string; url: string }> {
  let token: string;
  let room: string;
  if (target.kind === "baseline") {
    token = signHs256(crypto.randomUUID(), BASELINE_JWT_SECRET);
    room = "wrk-room";
  } else {
    const [user] = await createUsers(target.url, runPrefix(), 1);
    token = user!.token;
    room = await createRoom(target.url, user!, "wrk");
  }
  for (let i = 0; i < 60; i++) {
    await fetch(`${target.url}/v1/rooms/${room}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ content: `wrk ${i} `.padEnd(100, "x") }),
    });
  }
  const path =
    o.path === "me"
      ? "/v1/users/me"
      : o.path === "post"
        ? `/v1/rooms/${room}/messages`
        : `/v1/rooms/${room}/messages?limit=50`;
  return { token, url: `${target.url}${path}` };
}

/** wrk's script for POST: the same 100-character message on every request. */
function postScript(): string {
  const file = join(tmpdir(), `chatd-wrk-post-${process.pid}.lua`);
  const body = JSON.stringify({ content: "wrk ".padEnd(100, "x") });
  writeFileSync(file, `wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\nwrk.body = '${body}'\n`);
  return file;
}

function wrk(binary: string, token: string, url: string, pid: number) {
  const script = o.path === "post" ? ["-s", postScript()] : [];
  const cpuBefore = cpuSeconds(pid);
  const run = Bun.spawnSync(
    [
      binary,
      "-t1",
      `-c${o.connections}`,
      `-d${o.seconds}s`,
      "--latency",
      ...script,
      "-H",
      `authorization: Bearer ${token}`,
      url,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const cpu = cpuSeconds(pid) - cpuBefore;
  const text = run.stdout.toString();
  const ms = (label: string) => {
    const m = new RegExp(`^\\s+${label}\\s+([\\d.]+)(us|ms|s)`, "m").exec(text);
    if (!m) return Number.NaN;
    return Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1);
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? Number.NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? Number.NaN);
  return { rps, p50: ms("50%"), p99: ms("99%"), non2xx, cpuUs: (cpu * 1e6) / requests };
}

if (!["history", "me", "post"].includes(o.path)) throw new Error("--path: history, me or post");
const binary = ensureWrk();
const build = buildChatd();
const rows: string[] = [];
try {
  for (let round = 1; round <= o.rounds; round++) {
    const results: Record<string, ReturnType<typeof wrk>> = {};
    for (const kind of ["chatd", "baseline"] as const) {
      const target =
        kind === "chatd"
          ? await startChatd(build.binary, { files: 4096, profileDir: profileDir(o.profile) })
          : await startBaseline({ files: 4096 });
      try {
        const { token, url } = await prepare(target);
        results[kind] = wrk(binary, token, url, target.processes[0]!.pid);
      } finally {
        await target.stop();
      }
    }
    const [c, b] = [results.chatd!, results.baseline!];
    const f = (v: number) => v.toFixed(v < 10 ? 2 : 0);
    rows.push(
      `round ${round}: chatd ${f(c.rps)} req/s p50 ${f(c.p50)} p99 ${f(c.p99)} ms ${f(c.cpuUs)} µs CPU/req · ` +
        `baseline ${f(b.rps)} req/s p50 ${f(b.p50)} p99 ${f(b.p99)} ms ${f(b.cpuUs)} µs CPU/req · ` +
        `req/s ${(c.rps / b.rps).toFixed(2)}× p99 ${(c.p99 / b.p99).toFixed(2)}× CPU ${(c.cpuUs / b.cpuUs).toFixed(2)}×` +
        `${c.non2xx + b.non2xx ? ` · NON-2xx ${c.non2xx}/${b.non2xx}` : ""}`,
    );
    log(rows.at(-1)!);
  }
} finally {
  build.cleanup();
}
process.stdout.write(`wrk -t1 -c${o.connections} -d${o.seconds}s, ${o.path}\n${rows.join("\n")}\n`);
