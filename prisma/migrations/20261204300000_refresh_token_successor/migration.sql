-- A rotated refresh token names the token its rotation issued, so that the same token presented
-- again within REFRESH_REUSE_GRACE_SECONDS (a phone firing two refreshes at once) is answered with
-- that same successor pair instead of revoking the session. No foreign key: both rows belong to
-- one user and go together when the user is deleted.
ALTER TABLE "refresh_tokens" ADD COLUMN "replaced_by_id" UUID;
