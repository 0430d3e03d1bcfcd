// Runs the event stream contract against every adapter: in-process, and JetStream on 127.0.0.1:4222
// (each test with its own stream and subject prefix, deleted afterwards).
import { MemoryEventStream } from "../../src/bus/memory";
import { JetStreamEventStream } from "../../src/bus/nats";
import { deleteStream, NATS_HOST, NATS_PORT, NATS_URL, uniqueNatsNames } from "../support/nats";
import { requireService } from "../support/services";
import { runStreamContract } from "./stream.contract";

const SUBJECTS = "test.events.>";

runStreamContract("memory", async (log) => {
  const stream = new MemoryEventStream({ subjects: SUBJECTS, log });
  return { open: async () => stream, restart: async (s) => s, dispose: async () => {} };
});

const nats = await requireService("nats", NATS_HOST, NATS_PORT);

if (nats.up) {
  runStreamContract("jetstream", async (log) => {
    const { prefix, stream } = uniqueNatsNames();
    const open = () =>
      JetStreamEventStream.open(
        { urls: [NATS_URL], name: "chatd-test" },
        { stream, subjects: SUBJECTS, prefix, maxAgeMs: 3_600_000, maxBytes: 64 * 1_048_576, replicas: 1, log },
      );
    return {
      open,
      restart: async (previous) => {
        await previous.close();
        return open();
      },
      dispose: () => deleteStream(stream),
    };
  });
}
