// What the peer bench asks every surface, in one place: the filtered page's filter in each
// surface's own form, the GraphQL documents, and the filter as plain SQL for the raw baseline and
// the seed's expected total.

/** The record every "get one record by id" asks for (its `name` field). */
export const SAMPLE_RECORD_NAME = "Deal 5000";

/** status = active AND priority in (high, medium) AND deal_value >= BOUND, sorted deal_value desc. */
export const FILTER_BOUND = 50_000;

export const REST_FILTERED_QUERY = new URLSearchParams({
  advancedFilter: JSON.stringify({
    root: {
      conjunction: "AND",
      conditions: [
        { fieldSlug: "status", operator: "eq", value: "active" },
        { fieldSlug: "priority", operator: "in", values: ["high", "medium"] },
        { fieldSlug: "deal_value", operator: "gte", value: FILTER_BOUND },
      ],
    },
  }),
  sortField: "deal_value",
  sortDirection: "desc",
  pageSize: "25",
}).toString();

export const GRAPHQL_FILTER = {
  conjunction: "AND",
  conditions: [
    { fieldSlug: "status", operator: "EQ", value: "active" },
    { fieldSlug: "priority", operator: "IN", values: ["high", "medium"] },
    { fieldSlug: "deal_value", operator: "GTE", value: FILTER_BOUND },
  ],
};

const RECORD_SELECTION =
  "recordId displayName fields labelIds typeIds privacyLevel version createdAt updatedAt";

/** Our GraphQL (and "yoga, constant", which answers the same documents). */
export const GRAPHQL = {
  get: `query($id: ID!) { node(id: $id) { ... on Record { ${RECORD_SELECTION} } } }`,
  page: `query { module(slug: "deals") { id slug name records(first: 25) { totalCount
    edges { node { ${RECORD_SELECTION} } } } } }`,
  filtered: `query($filter: RecordFilter) { module(slug: "deals") { id slug name records(first: 25,
    filter: $filter, orderBy: [{ field: "deal_value", direction: DESC }]) { totalCount
    edges { node { ${RECORD_SELECTION} } } } } }`,
  create: `mutation($input: CreateRecordInput!) { createRecord(input: $input) { recordId version } }`,
  /** Finds the sample record's global id (the id codec is the server's business). */
  sampleId: `query($filter: RecordFilter) { module(slug: "deals") { records(first: 1, filter: $filter) {
    edges { node { id recordId } } } } }`,
};

const PEER_SELECTION = "rowId displayName fields labelIds typeIds privacyLevel version createdAt updatedAt";

/** PostGraphile v5 (Amber preset) over the same tables; it has no JSON filter, so no workload 3. */
export const POSTGRAPHILE = {
  get: `query($id: UUID!) { recordByRowId(rowId: $id) { ${PEER_SELECTION} } }`,
  page: `query($module: UUID!) { recordModuleByRowId(rowId: $module) { rowId slug name
    recordsByModuleId(first: 25, condition: { deletedAt: null }, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) {
    totalCount nodes { ${PEER_SELECTION} } } } }`,
  create: `mutation($record: RecordInput!) { createRecord(input: { record: $record }) { record { rowId version } } }`,
};

export const CREATE_FIELDS = { name: "Bench deal", status: "lead", priority: "low", deal_value: 1200 };

/** `deal_value` as the filter compiler and the per-field index write it (docs/records.md). */
const DEAL_VALUE = `(CASE WHEN jsonb_typeof(r.fields -> 'deal_value') = 'number' THEN (r.fields ->> 'deal_value')::numeric END)`;

/** The filter in SQL over `records r`; `$n` is the deal_value bound. */
export const filterSql = (n: number) =>
  `r.fields @> '{"status":"active"}' AND (r.fields @> '{"priority":"high"}' OR r.fields @> '{"priority":"medium"}')
  AND ${DEAL_VALUE} >= $${n}`;

export const FILTERED_ORDER_SQL = `${DEAL_VALUE} DESC NULLS LAST, r.id DESC`;
