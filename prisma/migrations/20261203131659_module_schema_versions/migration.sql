-- CreateTable
CREATE TABLE "module_schema_versions" (
    "organization_id" UUID NOT NULL,
    "version" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "module_schema_versions_pkey" PRIMARY KEY ("organization_id")
);

-- AddForeignKey
ALTER TABLE "module_schema_versions" ADD CONSTRAINT "module_schema_versions_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Every change to an organisation's modules adds one to its version and notifies
-- `gateway_modules` with the organisation's id at commit: each instance drops its cached modules
-- and typed GraphQL schema of that organisation (src/records/module-cache.ts).
-- An organisation being deleted (its modules go by cascade) gets no new row.
CREATE OR REPLACE FUNCTION gateway_bump_module_schema_version_of(org uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO module_schema_versions (organization_id, version)
    SELECT org, 1 WHERE EXISTS (SELECT 1 FROM organizations o WHERE o.id = org)
    ON CONFLICT (organization_id) DO UPDATE SET version = module_schema_versions.version + 1;
  PERFORM pg_notify('gateway_modules', org::text);
END $$;

CREATE OR REPLACE FUNCTION gateway_bump_module_schema_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM gateway_bump_module_schema_version_of(OLD.organization_id);
  END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR OLD.organization_id IS DISTINCT FROM NEW.organization_id) THEN
    PERFORM gateway_bump_module_schema_version_of(NEW.organization_id);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER record_modules_schema_version
  AFTER INSERT OR UPDATE OR DELETE ON record_modules
  FOR EACH ROW EXECUTE FUNCTION gateway_bump_module_schema_version();
