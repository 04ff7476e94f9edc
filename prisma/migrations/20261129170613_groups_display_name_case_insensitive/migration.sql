-- Group names are unique per organisation regardless of case: SCIM clients look groups up with
-- `displayName eq "..."`, which compares case-insensitively (RFC 7643 §4.2 caseExact=false), so
-- "Admins" and "admins" must not both exist. Prisma cannot express an expression index.
CREATE UNIQUE INDEX "groups_organization_id_lower_display_name_key" ON "groups"("organization_id", lower("display_name"));
