-- The member list is paged in join order, equal join times by user id: this index serves the keyset
-- `(joined_at, user_id) > (?, ?)` of each page.
CREATE INDEX room_members_by_join ON room_members (room_id, joined_at, user_id);
