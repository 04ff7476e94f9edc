-- AlterTable
ALTER TABLE "users" ADD COLUMN     "scim_emails" JSONB;

