// One HTTP/1.1 request over a TCP connection of its own, for what fetch will not send: a body on GET.
// Reads the whole answer (the request says `Connection: close` unless told otherwise).

export type RawAnswer = { status: number; headers: Headers; text: string } | { failed: string };

export async function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
  timeoutMs: number,
): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  const chunks: Buffer[] = [];
  let done!: () => void;
  const ended = new Promise<void>((resolve) => {
    done = resolve;
  });
  // Bun's socket.write writes what fits and says how much: the rest goes on drain.
  let unsent = Buffer.alloc(0);
  const flush = (s: { write(data: Buffer): number }) => {
    if (unsent.length > 0) unsent = unsent.subarray(Math.max(0, s.write(unsent)));
  };
  const socket = await Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      data: (_s, chunk) => void chunks.push(Buffer.from(chunk)),
      drain: (s) => flush(s),
      close: () => done(),
      error: () => done(),
    },
  });
  const head = [
    `${method} ${path} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    ...("connection" in headers ? [] : ["connection: close"]),
    `content-length: ${body.length}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ].join("\r\n");
  unsent = Buffer.concat([Buffer.from(`${head}\r\n\r\n`, "latin1"), body]);
  flush(socket);
  const timer = setTimeout(() => socket.end(), timeoutMs);
  await ended;
  clearTimeout(timer);
  const all = Buffer.concat(chunks);
  const split = all.indexOf("\r\n\r\n");
  if (split < 0) return { failed: `no complete answer (${all.length} bytes)` };
  const lines = all.subarray(0, split).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? "")?.[1]);
  if (!status) return { failed: `bad status line ${lines[0]}` };
  const responseHeaders = new Headers(
    lines
      .slice(1)
      .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trim()] as [string, string]),
  );
  let payload: Buffer = all.subarray(split + 4);
  if (responseHeaders.get("transfer-encoding")?.includes("chunked")) payload = unchunk(payload);
  return { status, headers: responseHeaders, text: payload.toString("utf8") };
}

function unchunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const end = data.indexOf("\r\n", offset);
    if (end < 0) break;
    const size = Number.parseInt(data.subarray(offset, end).toString("latin1"), 16);
    if (!size) break;
    parts.push(data.subarray(end + 2, end + 2 + size));
    offset = end + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
