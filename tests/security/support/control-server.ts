// The liveness prober's control: an idle HTTP server in a process of its own on the same machine,
// answering every request at once. What it takes to answer is what the machine's load costs a probe;
// chatd's /healthz is judged by how much longer it takes. Prints its port, then serves until killed.
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ status: "ok" }) });
process.stdout.write(`${server.port}\n`);

export {};
