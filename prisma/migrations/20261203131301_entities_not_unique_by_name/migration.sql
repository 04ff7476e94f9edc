-- DropIndex
DROP INDEX "entities_organization_id_type_name_key";

-- CreateIndex
CREATE INDEX "entities_organization_id_type_name_idx" ON "entities"("organization_id", "type", "name");

