// Webhook targets and SSRF: a target's host is resolved and every address checked (private, loopback,
// link-local, metadata, multicast and reserved ranges are refused unless allowed), and the request is
// then pinned to the checked address (no second lookup a DNS rebind could answer differently). No
// redirect is ever followed: a 3xx answer is a failed delivery.
import { lookup } from "node:dns/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { validationFailed } from "../domain/errors";

/** IPv4 ranges that are not the public internet (RFC 6890 and friends), as [network, prefix length]. */
const BLOCKED_V4: [string, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, including the cloud metadata address 169.254.169.254
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
];

const v4Number = (ip: string) => ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);

const inV4 = (ip: string, [network, bits]: [string, number]) => {
  const size = 2 ** (32 - bits);
  return Math.floor(v4Number(ip) / size) === Math.floor(v4Number(network) / size);
};

/** The 8 hextets of an IPv6 address (an embedded dotted IPv4 tail becomes two hextets). */
function hextets(ip: string): number[] {
  let text = ip.toLowerCase().split("%")[0] as string;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = v4Number(dotted[1] as string);
    text = `${text.slice(0, dotted.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(":").map((h) => Number.parseInt(h, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill(0);
  return [...left, ...fill, ...right];
}

/** True when chatd may send to the address (a public unicast address). */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return !BLOCKED_V4.some((range) => inV4(ip, range));
  if (family !== 6) return false;
  const h = hextets(ip);
  const v4Tail = `${h[6]! >> 8}.${h[6]! & 255}.${h[7]! >> 8}.${h[7]! & 255}`;
  const zeros = (n: number) => h.slice(0, n).every((x) => x === 0);
  if (zeros(8)) return false; // ::
  if (zeros(7) && h[7] === 1) return false; // ::1
  if (zeros(5) && h[5] === 0xffff) return isPublicAddress(v4Tail); // IPv4-mapped
  if (zeros(6)) return false; // IPv4-compatible (deprecated)
  if (h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) return isPublicAddress(v4Tail); // NAT64
  const first = h[0] as number;
  if ((first & 0xfe00) === 0xfc00) return false; // unique local fc00::/7 (incl. AWS fd00:ec2::254)
  if ((first & 0xffc0) === 0xfe80) return false; // link-local fe80::/10
  if ((first & 0xffc0) === 0xfec0) return false; // site-local fec0::/10
  if ((first & 0xff00) === 0xff00) return false; // multicast
  if (first === 0x2001 && h[1] === 0x0db8) return false; // documentation
  return true;
}

const refused = (message: string) => validationFailed(`url ${message}`, [{ field: "url", message }]);

/**
 * The address to send to: the host's addresses, every one of which must be public unless
 * `allowPrivate`. Throws `validation_failed` naming `url` when the host does not resolve or any
 * address is refused (so a name that resolves to one public and one private address is refused).
 */
export async function resolveTarget(url: URL, allowPrivate: boolean): Promise<{ address: string; family: number }> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const literal = isIP(host);
  let addresses: { address: string; family: number }[];
  if (literal) addresses = [{ address: host, family: literal }];
  else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw refused("host does not resolve");
    }
  }
  if (addresses.length === 0) throw refused("host does not resolve");
  if (!allowPrivate && addresses.some((a) => !isPublicAddress(a.address)))
    throw refused("must not point at a private, loopback, link-local or metadata address");
  return addresses[0] as { address: string; family: number };
}

export type PostResult = { status: number } | { error: string };

/**
 * POSTs the body to the URL, connected to `address` (already checked) whatever DNS says now; TLS
 * still verifies the certificate for the URL's host name. Resolves with the status, or the reason it
 * failed (timeout, refused connection, `signal` aborted); never rejects. The answer's body is read
 * and dropped.
 */
export function postPinned(
  url: URL,
  target: { address: string; family: number },
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<PostResult> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve({ error: "aborted" });
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
        timeout: timeoutMs,
        lookup: ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
          if (options?.all) callback(null, [target]);
          else callback(null, target.address, target.family);
        }) as unknown as LookupFunction,
      },
      (res) => {
        res.on("data", () => {});
        res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
        res.on("error", () => resolve({ status: res.statusCode ?? 0 }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ error: "timeout" });
    }, timeoutMs);
    const abort = () => {
      req.destroy();
      resolve({ error: "aborted" });
    };
    signal?.addEventListener("abort", abort, { once: true });
    req.on("close", () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
    });
    req.on("timeout", () => {
      req.destroy();
      resolve({ error: "timeout" });
    });
    req.on("error", (error) => resolve({ error: error.message }));
    req.end(body);
  });
}
