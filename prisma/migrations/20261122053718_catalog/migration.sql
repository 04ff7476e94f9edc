-- CreateTable
CREATE TABLE "catalog_items" (
    "id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "space" TEXT NOT NULL,
    "owner_id" UUID,
    "parent_id" UUID,
    "kind" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "description" TEXT,
    "content" TEXT,
    "revision" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "catalog_items_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "catalog_items_subtree_idx" ON "catalog_items"("organization_id", "space", "path" text_pattern_ops);

-- CreateIndex
CREATE INDEX "catalog_items_organization_id_space_parent_id_kind_name_idx" ON "catalog_items"("organization_id", "space", "parent_id", "kind" DESC, "name");

-- CreateIndex
CREATE INDEX "catalog_items_owner_id_idx" ON "catalog_items"("owner_id");

-- CreateIndex
CREATE UNIQUE INDEX "catalog_items_organization_id_space_path_key" ON "catalog_items"("organization_id", "space", "path");

-- AddForeignKey
ALTER TABLE "catalog_items" ADD CONSTRAINT "catalog_items_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "catalog_items" ADD CONSTRAINT "catalog_items_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "catalog_items" ADD CONSTRAINT "catalog_items_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "catalog_items"("id") ON DELETE NO ACTION ON UPDATE CASCADE;

