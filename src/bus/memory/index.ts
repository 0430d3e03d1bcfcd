// The in-process bus backend: fan-out bus and event stream for a single process.
export { MemoryBus } from "./bus";
export { MemoryEventStream, type MemoryStreamOptions } from "./stream";
