-- A user's action tokens by kind: a password reset ends every other unused reset token of the account.
CREATE INDEX action_tokens_by_user ON action_tokens (user_id, kind);
