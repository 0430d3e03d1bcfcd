// Runs the bus contract against every adapter (the NATS one joins when it exists).
import { MemoryBus } from "../../src/bus/memory";
import { runBusContract } from "./bus.contract";

runBusContract("memory", async () => new MemoryBus());
