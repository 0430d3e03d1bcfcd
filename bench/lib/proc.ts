// What Linux tells about a process and the machine: RSS, CPU time, the listening port, file limits.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";

/** Clock ticks per second of /proc CPU times (USER_HZ; 100 on every mainstream Linux build). */
const TICKS_PER_SECOND = 100;

/** Resident set size in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const line = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!line) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line[1]) * 1024;
}

/** CPU seconds the process has used (utime + stime of /proc/<pid>/stat, all threads). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start at field 3; utime and stime are 14, 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Busy and total time of every core together, in ticks, from /proc/stat (for the machine's load). */
export function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * A CPU meter over a window and a group of processes (a target's): `stop()` gives the cores they used
 * together on average (1 = one core fully busy) and each process's share, in the order of `pids`.
 */
export function cpuMeter(pids: number[]) {
  const started = performance.now();
  const cpu = pids.map(cpuSeconds);
  const machine = machineTicks();
  return () => {
    const wallSeconds = (performance.now() - started) / 1000;
    const m = machineTicks();
    const used = pids.map((pid, i) => cpuSeconds(pid) - cpu[i]!);
    const total = used.reduce((a, b) => a + b, 0);
    return {
      wallSeconds,
      cpuSeconds: total,
      cores: total / wallSeconds,
      /** Cores each process used, in the order of `pids`. */
      perProcess: used.map((seconds) => seconds / wallSeconds),
      /** Share of all the machine's cores that were busy (every process, not only ours). */
      machineBusy: (m.busy - machine.busy) / Math.max(1, m.total - machine.total),
    };
  };
}

/** RSS of each process of a group, and their sum. */
export function groupRss(pids: number[]) {
  const perProcess = pids.map(rssBytes);
  return { bytes: perProcess.reduce((a, b) => a + b, 0), perProcess };
}

/** The TCP port a process listens on (IPv4 or IPv6), found through its socket inodes; null before it listens. */
export function listeningPort(pid: number): number | null {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  for (const fd of fds) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // the fd closed meanwhile
    }
  }
  for (const table of ["tcp", "tcp6"]) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is col 1 ("ADDR:PORT" in hex), st is col 3 ("0A" = LISTEN), inode is col 9.
      if (cols[3] === "0A" && cols[9] && inodes.has(cols[9])) return Number.parseInt(cols[1]!.split(":")[1]!, 16);
    }
  }
  return null;
}

/** The soft and hard limits on open files of this process. */
export function openFilesLimit(): { soft: number; hard: number } {
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
  const parse = (v: string | undefined) => (v === "unlimited" || v === undefined ? Number.MAX_SAFE_INTEGER : Number(v));
  return { soft: parse(line?.[1]), hard: parse(line?.[2]) };
}

/** The machine, for the record: benchmarks only compare within a run, but the context matters. */
export function machineInfo() {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
  return {
    cpus: availableParallelism(),
    cpu_model: model,
    memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
    bun: Bun.version,
    open_files_limit: openFilesLimit(),
  };
}

/**
 * The summed RSS of a group of processes once it stops moving: sampled every 250 ms until the last
 * second's samples lie within `toleranceBytes` (1 MiB per process), or `maxMs` passed (freed memory goes back to the OS
 * with a delay, and the JS heap shrinks only when the collector runs).
 */
export async function settledRss(pids: number[], maxMs = 10_000, toleranceBytes = pids.length * 2 ** 20) {
  const started = performance.now();
  const samples: number[] = [];
  for (;;) {
    const rss = groupRss(pids);
    samples.push(rss.bytes);
    const window = samples.slice(-5);
    const stable = window.length === 5 && Math.max(...window) - Math.min(...window) <= toleranceBytes;
    if (stable || performance.now() - started > maxMs) {
      return { ...rss, waitedSeconds: (performance.now() - started) / 1000, stable };
    }
    await Bun.sleep(250);
  }
}

/** Share of the machine's CPU busy over `ms` (before a run: load from others that will add noise). */
export async function machineBusy(ms = 1000) {
  const a = machineTicks();
  await Bun.sleep(ms);
  const b = machineTicks();
  return (b.busy - a.busy) / Math.max(1, b.total - a.total);
}

/** The warning to print when the machine was already busy before a run, or null. */
export const busyWarning = (busy: number) =>
  busy > 0.2
    ? `the machine was ${Math.round(busy * 100)} % busy before the run (other processes): expect noisy figures`
    : null;
