-- Idempotency claims get a lease: an in-progress claim whose lease has expired (its process was
-- killed) is taken over by the next retry. Existing in-progress rows get an expired lease at once.
-- Replays repeat the first response's Location, ETag and Last-Modified (headers).
-- AlterTable
ALTER TABLE "idempotency_keys" ADD COLUMN     "headers" JSONB,
ADD COLUMN     "lease_expires_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "lease_token" UUID;

