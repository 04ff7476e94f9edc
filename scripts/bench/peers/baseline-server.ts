// The raw baseline: node:http and pg, hand-written SQL, one statement per request, answering the
// REST surface's JSON for the bench's four workloads. What a request could cost with nothing
// between HTTP and PostgreSQL. Its shortcuts, stated in the bench's output: the API key and the
// module are looked up once per key and then kept (never revoked), create validates nothing and
// writes no audit row, only the `deals` module and the bench's one filter exist.
import { createHash } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import pg from "pg";
import { FILTERED_ORDER_SQL, filterSql } from "./workloads.js";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
type Viewer = { org: string; user: string; module: string };
const viewers = new Map<string, Promise<Viewer | undefined>>();
const totals = new Map<string, { version: string; total: number }>();

const ROW = `r.*, cu.display_name AS created_by_name, uu.display_name AS updated_by_name`;
const USERS = `LEFT JOIN users cu ON cu.id = r.created_by_id LEFT JOIN users uu ON uu.id = r.updated_by_id`;
const VISIBLE = `r.organization_id = $1 AND r.module_id = $2 AND r.deleted_at IS NULL
  AND (r.privacy_level <> 'private' OR r.created_by_id = $3)`;
/** The page and its exact total in one statement; the count runs only when the module changed. */
const page = (where: string, order: string) => `
  SELECT t._version, t._total, p.* FROM (
    SELECT s.data_version::text AS _version, CASE WHEN s.data_version = $4::bigint THEN $5::int
      ELSE (SELECT count(*)::int FROM records r WHERE ${where}) END AS _total
    FROM (VALUES (1)) AS one (x) LEFT JOIN record_module_stats s ON s.module_id = $2) t
  LEFT JOIN LATERAL (SELECT ${ROW} FROM records r ${USERS} WHERE ${where} ORDER BY ${order} LIMIT 25) p ON TRUE`;
const PAGE = page(VISIBLE, "r.created_at DESC, r.id DESC");
const FILTERED = page(`${VISIBLE} AND ${filterSql(6)}`, FILTERED_ORDER_SQL);

type Row = {
  id: string;
  module_id: string;
  display_name: string;
  fields: object;
  label_ids: string[];
  type_ids: string[];
  privacy_level: string;
  description_html: string | null;
  created_at: Date;
  updated_at: Date;
  created_by_id: string | null;
  updated_by_id: string | null;
  created_by_name: string | null;
  updated_by_name: string | null;
  version: number;
};

const record = (r: Row) => ({
  id: `rec_${r.id}`,
  moduleId: `mod_${r.module_id}`,
  moduleSlug: "deals",
  displayName: r.display_name,
  fields: r.fields,
  labelIds: r.label_ids,
  typeIds: r.type_ids,
  privacyLevel: r.privacy_level,
  descriptionHtml: r.description_html,
  createdDateTime: r.created_at.toISOString(),
  updatedDateTime: r.updated_at.toISOString(),
  createdByUserId: r.created_by_id && `usr_${r.created_by_id}`,
  createdByDisplayName: r.created_by_name,
  updatedByUserId: r.updated_by_id && `usr_${r.updated_by_id}`,
  updatedByDisplayName: r.updated_by_name,
  version: r.version,
});

function viewer(authorization = ""): Promise<Viewer | undefined> {
  const hash = createHash("sha256")
    .update(authorization.replace(/^Bearer /, ""))
    .digest("hex");
  let found = viewers.get(hash);
  if (!found) {
    found = pool
      .query(
        `SELECT k.organization_id AS org, k.user_id AS user, m.id AS module FROM api_keys k
          JOIN record_modules m ON m.organization_id = k.organization_id AND m.slug = 'deals'
          WHERE k.secret_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())`,
        [hash],
      )
      .then((result) => result.rows[0]);
    viewers.set(hash, found);
  }
  return found;
}

async function list(v: Viewer, bound: string | null) {
  const key = bound ?? "";
  const known = totals.get(key) ?? { version: "-1", total: 0 };
  const params = [v.org, v.module, v.user, known.version, known.total, ...(bound ? [bound] : [])];
  // Unfiltered: a named (prepared) statement. Filtered: unnamed, so each plan sees the module id and
  // can use its partial per-field index, which a generic plan cannot.
  const { rows } = await pool.query<Row & { _version: string; _total: number }>(
    bound ? { text: FILTERED, values: params } : { name: "page", text: PAGE, values: params },
  );
  const { _version: version, _total: total } = rows[0]!; // LEFT JOIN LATERAL: always one row
  totals.set(key, { version, total });
  return { records: rows.filter((r) => r.id).map(record), total, page: 1, pageSize: 25 };
}

const send = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

createServer(async (req, res) => {
  try {
    const v = await viewer(req.headers.authorization);
    if (!v) return send(res, 401, { error: "unauthorized" });
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const id = /^\/v1\/modules\/deals\/records\/rec_([0-9a-f-]{36})$/.exec(url.pathname)?.[1];
    if (req.method === "GET" && id) {
      const { rows } = await pool.query<Row>({
        name: "get",
        text: `SELECT ${ROW} FROM records r ${USERS}
        WHERE r.id = $4 AND ${VISIBLE}`,
        values: [v.org, v.module, v.user, id],
      });
      return rows[0] ? send(res, 200, { record: record(rows[0]) }) : send(res, 404, { error: "not_found" });
    }
    if (url.pathname !== "/v1/modules/deals/records") return send(res, 404, { error: "not_found" });
    if (req.method === "GET") return send(res, 200, await list(v, url.searchParams.get("minDealValue")));
    let body = "";
    for await (const chunk of req) body += chunk;
    const fields = JSON.parse(body).fields ?? {};
    const { rows } = await pool.query<Row>({
      name: "create",
      text: `WITH r AS (INSERT INTO records (id, organization_id,
        module_id, display_name, display_name_auto, fields, label_ids, type_ids, created_by_id, updated_by_id)
        VALUES (gen_random_uuid(), $1, $2, $3, true, $4, '{}', '{}', $5, $5) RETURNING *)
      SELECT ${ROW} FROM r ${USERS}`,
      values: [v.org, v.module, fields.name ?? "Untitled", fields, v.user],
    });
    return send(res, 201, { record: record(rows[0]!) });
  } catch (error) {
    send(res, 500, { error: String(error) });
  }
}).listen(Number(process.env.PORT), "127.0.0.1");
