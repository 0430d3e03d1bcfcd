// Runs the limiter contract against every adapter (the Redis one joins when it exists).
import { MemoryLimiter } from "../../src/limits/memory";
import { runLimiterContract } from "./limiter.contract";

runLimiterContract("memory", async () => new MemoryLimiter());
