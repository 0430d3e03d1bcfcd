// The NATS bus backend: core NATS for the fan-out bus, JetStream for the event stream.
export { NatsBus, type NatsBusOptions } from "./bus";
export type { NatsSettings } from "./connection";
export { JetStreamEventStream, type JetStreamOptions } from "./stream";
