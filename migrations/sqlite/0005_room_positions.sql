-- Room positions (the wire's `seq`): every durable event of a room gets the room's next position, in
-- the same IMMEDIATE transaction that stores it, so positions are dense (1, 2, 3, ...) and assigned
-- once. rooms.head is the last position taken; rooms.last_message_id the newest message id, which the
-- next message id must sort after (ids are minted in position order). room_log holds every event by
-- position: a message's row in `messages` is its current state, other events keep their payload here.
ALTER TABLE rooms ADD COLUMN head INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN last_message_id TEXT;
ALTER TABLE messages ADD COLUMN position INTEGER NOT NULL DEFAULT 0;

CREATE TABLE room_log (
  room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  type       TEXT NOT NULL,
  message_id TEXT,                     -- message.created: the message
  payload    TEXT,                     -- every other type: the event as the domain encoded it
  PRIMARY KEY (room_id, position)
) STRICT, WITHOUT ROWID;

-- Messages stored before positions existed take positions 1..n of their room, in id order.
WITH numbered AS (SELECT id, ROW_NUMBER() OVER (PARTITION BY room_id ORDER BY seq) AS n FROM messages)
UPDATE messages SET position = numbered.n FROM numbered WHERE numbered.id = messages.id;
INSERT INTO room_log (room_id, position, type, message_id) SELECT room_id, position, 'message.created', id FROM messages;
UPDATE rooms SET
  head = (SELECT COALESCE(MAX(position), 0) FROM messages WHERE room_id = rooms.id),
  last_message_id = (SELECT id FROM messages WHERE room_id = rooms.id ORDER BY seq DESC LIMIT 1);
