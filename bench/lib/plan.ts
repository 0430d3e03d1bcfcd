// Who connects where: rooms, users and the connection list of a WebSocket scenario, for either target,
// and opening those connections from the load workers.

import type { ConnectResult } from "./commands";
import { createRoom, createUsers, joinRoom, mapLimit, runPrefix } from "./fixtures";
import type { LoadPool } from "./pool";
import type { ConnSpec } from "./protocol";
import { parseStages, type Stage, shareOf } from "./runner";
import { Histogram } from "./stats";
import type { Target } from "./target";

export type Plan = { receivers: ConnSpec[]; senders: ConnSpec[]; users: number; setupSeconds: number };

/**
 * Which of `gateways` WebSocket gateways a connection uses: a room's sender sits on gateway
 * `room mod gateways`, and its receivers alternate over the other gateways, so with several (a split
 * deployment) every delivery crosses from one process to another. `nth` counts the room's receivers.
 */
export function gatewayOf(room: number, gateways: number, sender: boolean, nth = 0): number {
  if (gateways <= 1) return 0;
  const home = room % gateways;
  return sender ? home : (home + 1 + (nth % (gateways - 1))) % gateways;
}

/**
 * `connections` receivers spread round-robin over `rooms`, plus one sender per room, each on the
 * gateway `gatewayOf` picks. On chatd each room has `usersPerRoom` receiving users (their connections
 * share them) and a sending user who owns it; the baseline's rooms are topic names and need no users.
 * Setup (signups, rooms, joins) goes to the target's REST url (the api process of a split one).
 */
export async function planRooms(
  target: Target,
  opts: { connections: number; rooms: number; usersPerRoom: number; firstRoom?: number },
): Promise<Plan> {
  const started = performance.now();
  const { connections, usersPerRoom } = opts;
  // Room indices start at `firstRoom` (0), so two plans of one run can use disjoint rooms.
  const first = opts.firstRoom ?? 0;
  const rooms = opts.rooms;
  const gateways = target.gateways.length;
  const receiverGateway = (i: number) => gatewayOf(i % rooms, gateways, false, Math.floor(i / rooms));
  if (target.kind === "baseline") {
    const topic = (room: number) => `room-${room}`;
    return {
      receivers: Array.from({ length: connections }, (_, i) => ({
        room: first + (i % rooms),
        roomId: topic(first + (i % rooms)),
        gateway: receiverGateway(i),
      })),
      senders: Array.from({ length: rooms }, (_, room) => ({
        room: first + room,
        roomId: topic(first + room),
        gateway: gatewayOf(room, gateways, true),
      })),
      users: 0,
      setupSeconds: 0,
    };
  }
  const perRoom = Math.max(1, Math.min(usersPerRoom, Math.ceil(connections / rooms)));
  const users = await createUsers(target.url, `${runPrefix()}${first}_`, rooms * (perRoom + 1));
  const owners = Array.from({ length: rooms }, (_, room) => users[room * (perRoom + 1)]!);
  const roomIds = await mapLimit(owners, 4, (owner, room) => createRoom(target.url, owner, `bench-${first + room}`));
  const members = (room: number) => users.slice(room * (perRoom + 1) + 1, (room + 1) * (perRoom + 1));
  await mapLimit(
    roomIds.flatMap((roomId, room) => members(room).map((user) => ({ user, roomId }))),
    8,
    ({ user, roomId }) => joinRoom(target.url, user, roomId),
  );
  return {
    receivers: Array.from({ length: connections }, (_, i) => {
      const room = i % rooms;
      const user = members(room)[Math.floor(i / rooms) % perRoom]!;
      return { room: first + room, roomId: roomIds[room]!, token: user.token, gateway: receiverGateway(i) };
    }),
    senders: owners.map((owner, room) => ({
      room: first + room,
      roomId: roomIds[room]!,
      token: owner.token,
      gateway: gatewayOf(room, gateways, true),
    })),
    users: users.length,
    setupSeconds: (performance.now() - started) / 1000,
  };
}

export type Opened = {
  opened: number;
  failed: number;
  errors: string[];
  timeToReady: Histogram;
  seconds: number;
};

/** Opens `specs` from the workers `on` (round-robin shares), each following its share of `stages`. */
export async function openConnections(
  pool: LoadPool,
  target: Target,
  specs: ConnSpec[],
  opts: {
    on: number[];
    role: "receiver" | "sender";
    stages: Stage[];
    maxInFlight: number;
    /** Source addresses the sockets bind to, round-robin (Node client only); the default route's without. */
    localAddresses?: string[];
  },
): Promise<Opened> {
  const shares = opts.on.map((_, k) => specs.filter((_, i) => i % opts.on.length === k));
  const started = performance.now();
  const results = await Promise.all(
    opts.on.map((worker, k) =>
      pool.call<ConnectResult>(worker, {
        op: "connect",
        kind: target.kind,
        urls: target.gateways,
        specs: shares[k]!,
        role: opts.role,
        stages: shareOf(opts.stages, shares[k]!.length, specs.length),
        maxInFlight: opts.maxInFlight,
        timeoutMs: 30_000,
        ...(opts.localAddresses?.length ? { localAddresses: opts.localAddresses } : {}),
      }),
    ),
  );
  const timeToReady = new Histogram();
  for (const r of results) timeToReady.merge(r.timeToReady);
  return {
    opened: results.reduce((a, r) => a + r.opened, 0),
    failed: results.reduce((a, r) => a + r.failed, 0),
    errors: results.flatMap((r) => r.errors),
    timeToReady,
    seconds: (performance.now() - started) / 1000,
  };
}

/** `--ramp` as stages, or every connection at once without it; the last stage must reach `connections`. */
export function rampStages(ramp: string, connections: number): Stage[] {
  const stages = ramp ? parseStages(ramp) : [{ duration: "0s", target: connections }];
  if (stages.at(-1)!.target !== connections) throw new Error("--ramp: the last stage's target must be --connections");
  return stages;
}
