// A WebSocket client over raw TCP for liveness tests: it speaks the handshake and frames itself, so a
// test decides whether it answers pings and whether it reads at all (pause), and sees the exact close
// code the server sends, and sends any bytes as a text or binary frame (invalid UTF-8 included). Text
// frames are parsed as JSON into `frames`.
import type { Socket } from "bun";
import type { Frame } from "./ws";

/**
 * A raw upgrade request to GET /v1/ws (`query` starts with "?" or is empty), sent with fetch so a
 * test reads the status and headers a WebSocket client hides.
 */
export const upgradeRequest = (base: string, query = "", headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/ws${query}`, {
    headers: {
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
      ...headers,
    },
  });

const OPCODE = { text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export class RawWsClient {
  readonly frames: Frame[] = [];
  /** Pings received from the server (answered when `answerPings`). */
  pings = 0;
  /** The code of the server's close frame, once one arrived. */
  closeCode: number | null = null;
  /** The TCP connection ended. */
  ended = false;
  #buffer = Buffer.alloc(0);
  /** Bytes the socket did not take yet (Bun's socket.write writes what fits and says how much). */
  #unsent = Buffer.alloc(0);
  #handshake = "";
  #upgraded = false;
  #socket!: Socket<undefined>;

  private constructor(private readonly answerPings: boolean) {}

  static async connect(port: number, token: string, options: { answerPings: boolean }): Promise<RawWsClient> {
    const client = new RawWsClient(options.answerPings);
    client.#socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_socket, chunk) => client.#receive(chunk),
        drain: () => client.#flush(),
        close: () => {
          client.ended = true;
        },
      },
    });
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
    client.#socket.write(
      `GET /v1/ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await client.until(() => client.#upgraded || client.ended, 5000, "the handshake");
    if (!client.#handshake.startsWith("HTTP/1.1 101")) throw new Error(`handshake failed: ${client.#handshake}`);
    await client.until(() => client.frames.some((f) => f.type === "hello"), 5000, "hello");
    return client;
  }

  /** Sends a masked text frame (clients must mask). */
  sendText(text: string) {
    this.#write(OPCODE.text, Buffer.from(text));
  }

  /** Sends `payload` as it is in one text or binary frame, whether or not it is UTF-8. */
  sendFrame(kind: "text" | "binary", payload: Uint8Array) {
    this.#write(OPCODE[kind], Buffer.from(payload));
  }

  /** Stops reading: the server's data piles up in the socket buffers, then in the server. */
  pause() {
    this.#socket.pause();
  }

  resume() {
    this.#socket.resume();
  }

  end() {
    this.#socket.end();
  }

  /** Resolves when `check` holds; throws naming `what` after `timeoutMs`. */
  async until(check: () => boolean, timeoutMs: number, what: string) {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`raw WebSocket client: no ${what} within ${timeoutMs} ms`);
      await Bun.sleep(5);
    }
  }

  #write(opcode: number, payload: Buffer) {
    const mask = crypto.getRandomValues(new Uint8Array(4));
    let length: Buffer;
    if (payload.length < 126) length = Buffer.from([0x80 | payload.length]);
    else if (payload.length < 65_536) length = Buffer.from([0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    else {
      length = Buffer.alloc(9);
      length[0] = 0x80 | 127;
      length.writeBigUInt64BE(BigInt(payload.length), 1);
    }
    const masked = Buffer.allocUnsafe(payload.length);
    for (let i = 0; i < payload.length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
    this.#unsent = Buffer.concat([this.#unsent, Buffer.from([0x80 | opcode]), length, mask, masked]);
    this.#flush();
  }

  #flush() {
    if (this.#unsent.length === 0) return;
    const written = this.#socket.write(this.#unsent);
    this.#unsent = this.#unsent.subarray(Math.max(0, written));
  }

  #receive(chunk: Buffer) {
    if (!this.#upgraded) {
      this.#handshake += chunk.toString("latin1");
      const end = this.#handshake.indexOf("\r\n\r\n");
      if (end < 0) return;
      this.#upgraded = true;
      chunk = Buffer.from(this.#handshake.slice(end + 4), "latin1");
      this.#handshake = this.#handshake.slice(0, end);
    }
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    // Server frames are unmasked: FIN/opcode, 7-bit length (126: 16-bit follows, 127: 64-bit), payload.
    for (;;) {
      if (this.#buffer.length < 2) return;
      const opcode = this.#buffer[0]! & 0x0f;
      let length = this.#buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.#buffer.length < 4) return;
        length = this.#buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.#buffer.length < 10) return;
        length = Number(this.#buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.#buffer.length < offset + length) return;
      const payload = this.#buffer.subarray(offset, offset + length);
      this.#buffer = this.#buffer.subarray(offset + length);
      if (opcode === OPCODE.text) this.frames.push(JSON.parse(payload.toString("utf8")));
      else if (opcode === OPCODE.close) this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      else if (opcode === OPCODE.ping) {
        this.pings++;
        if (this.answerPings) this.#write(OPCODE.pong, Buffer.from(payload));
      }
    }
  }
}
