-- Per-message counts a history page reads with its rows, so a page without reactions or thread replies
-- (most pages) needs no read of either: reaction_count is the message's reaction rows, reply_count its
-- live thread replies. Kept by triggers in the statement that changes them. They are hints: a view
-- reads reactions or a thread summary only when its count is above 0, and the rows read decide what
-- is shown, so a count that is too high costs one read and never shows anything wrong.
ALTER TABLE messages ADD COLUMN reaction_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;

UPDATE messages SET
  reaction_count = (SELECT COUNT(*) FROM message_reactions r WHERE r.room_id = messages.room_id AND r.message_id = messages.id),
  reply_count = (SELECT COUNT(*) FROM messages t
                 WHERE t.room_id = messages.room_id AND t.thread_root = messages.id AND t.deleted = 0);

CREATE TRIGGER reaction_counted AFTER INSERT ON message_reactions BEGIN
  UPDATE messages SET reaction_count = reaction_count + 1 WHERE id = NEW.message_id;
END;
CREATE TRIGGER reaction_uncounted AFTER DELETE ON message_reactions BEGIN
  UPDATE messages SET reaction_count = reaction_count - 1 WHERE id = OLD.message_id AND reaction_count > 0;
END;

CREATE TRIGGER reply_counted AFTER INSERT ON messages WHEN NEW.thread_root IS NOT NULL AND NEW.deleted = 0 BEGIN
  UPDATE messages SET reply_count = reply_count + 1 WHERE id = NEW.thread_root;
END;
CREATE TRIGGER reply_tombstoned AFTER UPDATE OF deleted ON messages
  WHEN NEW.thread_root IS NOT NULL AND OLD.deleted = 0 AND NEW.deleted = 1 BEGIN
  UPDATE messages SET reply_count = reply_count - 1 WHERE id = NEW.thread_root AND reply_count > 0;
END;
CREATE TRIGGER reply_removed AFTER DELETE ON messages WHEN OLD.thread_root IS NOT NULL AND OLD.deleted = 0 BEGIN
  UPDATE messages SET reply_count = reply_count - 1 WHERE id = OLD.thread_root AND reply_count > 0;
END;
