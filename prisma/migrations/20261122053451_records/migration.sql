-- AlterTable
ALTER TABLE "organizations" ADD COLUMN     "record_limit" INTEGER;

-- CreateTable
CREATE TABLE "record_modules" (
    "id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "fields" JSONB NOT NULL,
    "display_fields" TEXT[],
    "subtitle_fields" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "record_modules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "records" (
    "id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "module_id" UUID NOT NULL,
    "display_name" TEXT NOT NULL,
    "display_name_auto" BOOLEAN NOT NULL DEFAULT false,
    "fields" JSONB NOT NULL DEFAULT '{}',
    "label_ids" TEXT[],
    "type_ids" TEXT[],
    "privacy_level" TEXT NOT NULL DEFAULT 'account',
    "description_html" TEXT,
    "created_by_id" UUID,
    "updated_by_id" UUID,
    "version" INTEGER NOT NULL DEFAULT 1,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "records_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "record_modules_organization_id_slug_key" ON "record_modules"("organization_id", "slug");

-- CreateIndex
CREATE INDEX "records_module_id_created_at_id_idx" ON "records"("module_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "records_organization_id_idx" ON "records"("organization_id");

-- CreateIndex
CREATE INDEX "records_deleted_at_idx" ON "records"("deleted_at");

-- CreateIndex
CREATE INDEX "records_fields_idx" ON "records" USING GIN ("fields" jsonb_path_ops);

-- AddForeignKey
ALTER TABLE "record_modules" ADD CONSTRAINT "record_modules_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "records" ADD CONSTRAINT "records_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "records" ADD CONSTRAINT "records_module_id_fkey" FOREIGN KEY ("module_id") REFERENCES "record_modules"("id") ON DELETE CASCADE ON UPDATE CASCADE;

