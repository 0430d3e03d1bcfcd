// Sends hostile frames over real sockets and judges what comes back. Each frame is followed by a
// ping: frames are handled in order, so everything the hostile one caused arrives before that pong.
// A socket takes a bounded number of error-causing frames, then the next case opens a fresh one, so
// the abuse rule (the 21st error within 10 s closes with 1008) never fires by accident.
import { RawWsClient } from "../../support/raw-ws";
import type { Frame } from "../../support/ws";
import { preview } from "./json-tree";
import { frameProblems } from "./verdict";
import { type FrameCase, MAX_PAYLOAD } from "./ws-cases";

/** Error frames one socket may cause before the runner moves to a new one (the abuse rule allows 20). */
const ERRORS_PER_SOCKET = 15;

const isUtf8 = (data: Uint8Array) => {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
};
const REPLY_TIMEOUT_MS = 10_000;

export type FrameResult = { replies: Frame[]; closeCode: number | null; problems: string[] };

export class FrameRunner {
  #client: RawWsClient | null = null;
  #errors = 0;
  #probes = 0;
  #sockets = 0;

  constructor(
    private readonly port: number,
    private readonly tokens: readonly string[],
  ) {}

  get sockets() {
    return this.#sockets;
  }

  async #socket(): Promise<RawWsClient> {
    if (this.#client && this.#client.closeCode === null && !this.#client.ended && this.#errors < ERRORS_PER_SOCKET)
      return this.#client;
    this.#client?.end();
    // Users take turns by socket: Ana owns the rooms, Bob is a member of one.
    const token = this.tokens[this.#sockets++ % this.tokens.length]!;
    this.#client = await RawWsClient.connect(this.port, token, { answerPings: true });
    this.#errors = 0;
    return this.#client;
  }

  async run(c: FrameCase): Promise<FrameResult> {
    const client = await this.#socket();
    const start = client.frames.length;
    const probe = `probe-${++this.#probes}`;
    client.sendFrame(c.kind, c.payload);
    client.sendText(JSON.stringify({ type: "ping", ref: probe }));
    const answered = () => client.frames.slice(start).some((f) => f.type === "pong" && f.ref === probe);
    const problems: string[] = [];
    try {
      await client.until(() => answered() || client.closeCode !== null || client.ended, REPLY_TIMEOUT_MS, "pong");
    } catch {
      problems.push(`no pong within ${REPLY_TIMEOUT_MS} ms`);
    }
    const replies = client.frames.slice(start).filter((f) => !(f.type === "pong" && f.ref === probe));
    this.#errors += replies.filter((f) => f.type === "error").length;
    // Past 4x the payload limit the server closes (1009), and a text frame that is not UTF-8 fails the
    // connection (1007, RFC 6455 8.1); both before chatd sees the frame. Otherwise it never closes.
    const closes = c.payload.length > 4 * MAX_PAYLOAD ? 1009 : c.kind === "text" && !isUtf8(c.payload) ? 1007 : null;
    if (closes !== null) {
      if (client.closeCode === null)
        await client.until(() => client.closeCode !== null || client.ended, REPLY_TIMEOUT_MS, "close").catch(() => {});
      if (client.closeCode !== closes) problems.push(`closed with ${client.closeCode} (${closes} expected)`);
      problems.push(...frameProblems(replies, { refuse: false, longInputs: c.longInputs }));
    } else {
      if (client.closeCode !== null || client.ended)
        problems.push(`the socket closed (${client.closeCode ?? "no close frame"})`);
      problems.push(...frameProblems(replies, { refuse: c.refuse, longInputs: c.longInputs }));
    }
    return { replies, closeCode: client.closeCode, problems };
  }

  close() {
    this.#client?.end();
  }
}

export const frameReport = (replay: string, c: FrameCase, result: FrameResult) =>
  [
    `${replay}: ${c.label}`,
    `  problems: ${result.problems.join("; ")}`,
    `  ${c.kind} frame: ${preview(c.payload)}`,
    `  replies: ${JSON.stringify(result.replies).slice(0, 600)}`,
    `  close: ${result.closeCode ?? "none"}`,
  ].join("\n");
