// The interfaces the core depends on. Types only: adapters implement them, the composition root picks them.
export type * from "./attachments";
export type * from "./blob";
export type * from "./bus";
export type * from "./limiter";
export type * from "./mail";
export type * from "./mentions";
export type * from "./messages";
export type * from "./notify";
export type * from "./pins";
export type * from "./presence";
export type * from "./room-log";
export type * from "./rooms";
export type * from "./search";
export type * from "./store";
export type * from "./stream";
export type * from "./threads";
