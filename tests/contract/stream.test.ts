// Runs the event stream contract against every adapter.
import { MemoryEventStream } from "../../src/bus/memory";
import { runStreamContract } from "./stream.contract";

const SUBJECTS = "test.events.>";

runStreamContract("memory", async (log) => {
  const stream = new MemoryEventStream({ subjects: SUBJECTS, log });
  return { open: async () => stream, restart: async (s) => s, dispose: async () => {} };
});
