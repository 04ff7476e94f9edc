-- AlterTable
ALTER TABLE "catalog_items" ADD COLUMN     "project_id" UUID;

-- CreateIndex
CREATE UNIQUE INDEX "catalog_items_project_id_key" ON "catalog_items"("project_id");

-- AddForeignKey
ALTER TABLE "catalog_items" ADD CONSTRAINT "catalog_items_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Link the existing top-level @Project Hub folders to the project of the same name, when exactly
-- one project of the organisation has that name (docs/catalog.md, "Project Hub").
UPDATE "catalog_items" AS c
SET "project_id" = p."id", "type" = 'PROJECT', "revision" = c."revision" + 1
FROM "projects" AS p
WHERE c."space" = '@Project Hub' AND c."parent_id" IS NULL AND c."kind" = 'FOLDER'
  AND c."organization_id" = p."organization_id" AND c."name" = replace(p."name", '/', '-')
  AND (SELECT count(*) FROM "projects" AS q
       WHERE q."organization_id" = p."organization_id" AND replace(q."name", '/', '-') = c."name") = 1;

-- Give every other project its folder; a project whose folder name is taken gets one when it is
-- next renamed or restored (the service then picks a free "<name> (2)").
INSERT INTO "catalog_items" ("id", "organization_id", "space", "kind", "type", "name", "path", "project_id")
SELECT gen_random_uuid(), p."organization_id", '@Project Hub', 'FOLDER', 'PROJECT',
       replace(p."name", '/', '-'), '@Project Hub/' || replace(p."name", '/', '-'), p."id"
FROM "projects" AS p
WHERE p."name" NOT IN ('.', '..')
  AND NOT EXISTS (SELECT 1 FROM "catalog_items" AS c WHERE c."project_id" = p."id")
ORDER BY p."created_at", p."id"
ON CONFLICT DO NOTHING;
