// The positions benchmark's correctness check: a room's log, read back as stored, must hold exactly
// positions 1..N, every acknowledged append at the position it was told with its message id, no
// position given to two appends, and message ids rising with positions.
import { compareMessageIds } from "../../../src/domain/ids";
import type { LogRow } from "./backends";

export type LogCheck = {
  entries: number;
  head: number;
  /** Positions in 1..max missing from the log. */
  gaps: number;
  /** Positions stored twice, or told to two appends. */
  duplicates: number;
  /** Acknowledged appends whose position holds another message (or nothing). */
  mismatched: number;
  /** Log entries no acknowledged append accounts for (an append that failed but landed). */
  unacknowledged: number;
  /** Neighbouring message ids not in position order. */
  idOrder: number;
  /** The head chatd reports differs from the last position. */
  headMismatch: number;
};

/** Checks one room; `acked` are the (position, id) pairs the writers were given for it. */
export function checkLog(log: LogRow[], head: number, acked: [position: number, id: string][]): LogCheck {
  const stored = new Map<number, string | null>();
  let duplicates = 0;
  for (const row of log) {
    if (stored.has(row.position)) duplicates++;
    stored.set(row.position, row.messageId);
  }
  const max = log.reduce((m, r) => Math.max(m, r.position), 0);
  let gaps = 0;
  for (let p = 1; p <= max; p++) if (!stored.has(p)) gaps++;
  const told = new Map<number, string>();
  let mismatched = 0;
  for (const [position, id] of acked) {
    if (told.has(position)) duplicates++;
    told.set(position, id);
    if (stored.get(position) !== id) mismatched++;
  }
  let unacknowledged = 0;
  for (const position of stored.keys()) if (!told.has(position)) unacknowledged++;
  const ordered = [...log].sort((a, b) => a.position - b.position);
  let idOrder = 0;
  for (let i = 1; i < ordered.length; i++) {
    const [a, b] = [ordered[i - 1]!.messageId, ordered[i]!.messageId];
    if (a && b && compareMessageIds(a, b) >= 0) idOrder++;
  }
  return {
    entries: log.length,
    head,
    gaps,
    duplicates,
    mismatched,
    unacknowledged,
    idOrder,
    headMismatch: head === max ? 0 : 1,
  };
}

/** The sum of several rooms' checks (entries, problems); head is the largest. */
export function sumChecks(checks: LogCheck[]): LogCheck {
  const sum = (key: keyof LogCheck) => checks.reduce((a, c) => a + c[key], 0);
  return {
    entries: sum("entries"),
    head: Math.max(0, ...checks.map((c) => c.head)),
    gaps: sum("gaps"),
    duplicates: sum("duplicates"),
    mismatched: sum("mismatched"),
    unacknowledged: sum("unacknowledged"),
    idOrder: sum("idOrder"),
    headMismatch: sum("headMismatch"),
  };
}

/** "ok (1..N)" or what is wrong, for the table. */
export function describeCheck(check: LogCheck): string {
  const problems = (
    [
      ["gaps", check.gaps],
      ["duplicates", check.duplicates],
      ["mismatched", check.mismatched],
      ["unacknowledged", check.unacknowledged],
      ["id order", check.idOrder],
      ["head", check.headMismatch],
    ] as const
  ).filter(([, n]) => n > 0);
  if (problems.length === 0) return `ok, ${check.entries.toLocaleString("en-US")} dense`;
  return problems.map(([what, n]) => `${n} ${what}`).join(", ");
}
