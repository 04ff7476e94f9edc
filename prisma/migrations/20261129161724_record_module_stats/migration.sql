-- CreateTable
CREATE TABLE "record_module_stats" (
    "module_id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "record_count" INTEGER NOT NULL DEFAULT 0,
    "data_version" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "record_module_stats_pkey" PRIMARY KEY ("module_id")
);

-- CreateIndex
CREATE INDEX "record_module_stats_organization_id_idx" ON "record_module_stats"("organization_id");

-- AddForeignKey
ALTER TABLE "record_module_stats" ADD CONSTRAINT "record_module_stats_module_id_fkey" FOREIGN KEY ("module_id") REFERENCES "record_modules"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written below (triggers are not expressible in schema.prisma).

-- No module or record may change between the backfill and the triggers' creation.
LOCK TABLE "record_modules", "records" IN SHARE ROW EXCLUSIVE MODE;

-- Existing modules: their current counts.
INSERT INTO "record_module_stats" ("module_id", "organization_id", "record_count")
SELECT m."id", m."organization_id", (SELECT count(*)::int FROM "records" r WHERE r."module_id" = m."id")
FROM "record_modules" m;

-- A new module gets its stats row in the statement that creates it.
CREATE FUNCTION "record_module_stats_create"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO record_module_stats (module_id, organization_id)
  SELECT id, organization_id FROM created_modules
  ON CONFLICT (module_id) DO NOTHING;
  RETURN NULL;
END
$$;

CREATE TRIGGER "record_modules_stats_create" AFTER INSERT ON "record_modules"
  REFERENCING NEW TABLE AS created_modules
  FOR EACH STATEMENT EXECUTE FUNCTION "record_module_stats_create"();

-- Every statement that writes records adds its net row count per module and bumps the module's
-- data version, once per statement (transition tables): a bulk INSERT ... SELECT of 100 000 rows
-- costs one UPDATE, not 100 000. One statement per branch: an earlier version that aggregated
-- into arrays and locked the rows in module order first cost about 1 ms more per insert. Two
-- statements that each write several modules could therefore deadlock on these rows;
-- PostgreSQL detects that and aborts one (the application's statements write one module).
-- A module deleted by the same statement's cascade has no stats row left to update.
CREATE FUNCTION "records_stats_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE record_module_stats s
    SET record_count = s.record_count + d.n, data_version = s.data_version + 1
    FROM (SELECT module_id, count(*)::int AS n FROM new_records GROUP BY module_id) d
    WHERE s.module_id = d.module_id;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE record_module_stats s
    SET record_count = s.record_count - d.n, data_version = s.data_version + 1
    FROM (SELECT module_id, count(*)::int AS n FROM old_records GROUP BY module_id) d
    WHERE s.module_id = d.module_id;
  ELSE
    UPDATE record_module_stats s
    SET record_count = s.record_count + d.n, data_version = s.data_version + 1
    FROM (
      SELECT module_id, sum(n)::int AS n FROM (
        SELECT module_id, 1 AS n FROM new_records UNION ALL SELECT module_id, -1 FROM old_records
      ) changes GROUP BY module_id
    ) d
    WHERE s.module_id = d.module_id;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "records_stats_insert" AFTER INSERT ON "records"
  REFERENCING NEW TABLE AS new_records
  FOR EACH STATEMENT EXECUTE FUNCTION "records_stats_apply"();

CREATE TRIGGER "records_stats_update" AFTER UPDATE ON "records"
  REFERENCING OLD TABLE AS old_records NEW TABLE AS new_records
  FOR EACH STATEMENT EXECUTE FUNCTION "records_stats_apply"();

CREATE TRIGGER "records_stats_delete" AFTER DELETE ON "records"
  REFERENCING OLD TABLE AS old_records
  FOR EACH STATEMENT EXECUTE FUNCTION "records_stats_apply"();

CREATE FUNCTION "records_stats_truncate"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE record_module_stats SET record_count = 0, data_version = data_version + 1;
  RETURN NULL;
END
$$;

CREATE TRIGGER "records_stats_truncate" AFTER TRUNCATE ON "records"
  FOR EACH STATEMENT EXECUTE FUNCTION "records_stats_truncate"();

-- Whether the organisation has room for `adding` more records. Takes the organisation's
-- transaction-level advisory lock first, which serialises its creates until commit. VOLATILE:
-- under READ COMMITTED each query below takes a fresh snapshot, after the lock is granted, so
-- it sees every create committed before; a create is then one statement,
-- `INSERT ... SELECT ... WHERE records_room(...)`, with no explicit transaction around it.
CREATE FUNCTION "records_room"(org uuid, adding int, default_limit int) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  record_limit_ int;
  used bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('records:' || org::text));
  SELECT record_limit INTO record_limit_ FROM organizations WHERE id = org;
  SELECT coalesce(sum(record_count), 0) INTO used FROM record_module_stats WHERE organization_id = org;
  RETURN used + adding <= coalesce(record_limit_, default_limit);
END
$$;
