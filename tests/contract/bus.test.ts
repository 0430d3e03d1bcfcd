// Runs the bus contract against every adapter.
import { MemoryBus } from "../../src/bus/memory";
import { runBusContract } from "./bus.contract";

runBusContract("memory", async (log) => {
  const bus = new MemoryBus(log);
  return { bus, other: bus };
});
