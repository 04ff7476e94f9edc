// The audited spelling of everything user-supplied that reaches generated SQL: string literals,
// quoted identifiers, numbers and dates. Every other piece of generated SQL is either a keyword
// of ours or an expression written by a semantic:write user in the model (docs/semantic.md).
import { ValidationError } from "../../errors.js";

export const PLATFORMS = ["postgres", "snowflake", "bigquery", "databricks", "duckdb"] as const;
export type Platform = (typeof PLATFORMS)[number];

export type Dialect = {
  platform: Platform;
  /** A string value as a literal that, whatever it contains, is one token of the statement. */
  string(value: string): string;
  /** An identifier (an alias) quoted so that it is one name whatever it contains. */
  quoteIdentifier(name: string): string;
  /** MEDIAN and COUNT_DISTINCT differ; the others are spelt alike. */
  aggregate(type: AggregationType, expr: string): string;
  contains(expr: string, literal: string): string;
  startsWith(expr: string, literal: string): string;
  endsWith(expr: string, literal: string): string;
  limit(fetch: number, skip: number): string;
};

export type AggregationType =
  | "SUM"
  | "COUNT"
  | "COUNT_DISTINCT"
  | "AVG"
  | "MIN"
  | "MAX"
  | "MEDIAN"
  | "CUSTOM";

function rejectNul(value: string): void {
  if (value.includes("\u0000")) throw new ValidationError("Values cannot contain NUL characters");
}

/** Standard SQL: the quote doubled, backslashes literal (PostgreSQL with standard strings, DuckDB). */
function standardString(value: string): string {
  rejectNul(value);
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * PostgreSQL: a value with a backslash becomes an escape string (E'...') with both the backslash
 * and the quote escaped, so it means the same whatever standard_conforming_strings is set to.
 */
function postgresString(value: string): string {
  rejectNul(value);
  if (!value.includes("\\")) return `'${value.replaceAll("'", "''")}'`;
  return `E'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** Snowflake processes backslash escapes inside '...': both the backslash and the quote escaped. */
function snowflakeString(value: string): string {
  rejectNul(value);
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/**
 * BigQuery and Databricks (Spark SQL) process backslash escapes and do not read '' as a quote
 * (Spark even concatenates adjacent literals), so every special character is backslash-escaped.
 */
function backslashString(value: string): string {
  rejectNul(value);
  const escaped = value.replace(/[\\'"\n\r\t]/g, (c) => {
    switch (c) {
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
      default:
        return `\\${c}`;
    }
  });
  return `'${escaped}'`;
}

const doubleQuoted = (name: string) => {
  rejectNul(name);
  return `"${name.replaceAll('"', '""')}"`;
};
const backtickDoubled = (name: string) => {
  rejectNul(name);
  return `\`${name.replaceAll("`", "``")}\``;
};
const backtickEscaped = (name: string) => {
  rejectNul(name);
  return `\`${name.replace(/[\\`]/g, (c) => `\\${c}`)}\``;
};

function commonAggregate(type: AggregationType, expr: string, median: (expr: string) => string): string {
  switch (type) {
    case "COUNT_DISTINCT":
      return `COUNT(DISTINCT ${expr})`;
    case "MEDIAN":
      return median(expr);
    case "CUSTOM":
      return expr;
    default:
      return `${type}(${expr})`;
  }
}

const limitOffset = (fetch: number, skip: number) =>
  skip > 0 ? `LIMIT ${fetch} OFFSET ${skip}` : `LIMIT ${fetch}`;

export const DIALECTS: Record<Platform, Dialect> = {
  postgres: {
    platform: "postgres",
    string: postgresString,
    quoteIdentifier: doubleQuoted,
    aggregate: (type, expr) =>
      commonAggregate(type, expr, (e) => `PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY ${e})`),
    contains: (e, l) => `STRPOS(${e}, ${l}) > 0`,
    startsWith: (e, l) => `STARTS_WITH(${e}, ${l})`,
    endsWith: (e, l) => `RIGHT(${e}, LENGTH(${l})) = ${l}`,
    limit: limitOffset,
  },
  snowflake: {
    platform: "snowflake",
    string: snowflakeString,
    quoteIdentifier: doubleQuoted,
    aggregate: (type, expr) => commonAggregate(type, expr, (e) => `MEDIAN(${e})`),
    contains: (e, l) => `CONTAINS(${e}, ${l})`,
    startsWith: (e, l) => `STARTSWITH(${e}, ${l})`,
    endsWith: (e, l) => `ENDSWITH(${e}, ${l})`,
    limit: limitOffset,
  },
  bigquery: {
    platform: "bigquery",
    string: backslashString,
    quoteIdentifier: backtickEscaped,
    // BigQuery has no exact median aggregate; APPROX_QUANTILES is its documented substitute.
    aggregate: (type, expr) => commonAggregate(type, expr, (e) => `APPROX_QUANTILES(${e}, 2)[OFFSET(1)]`),
    contains: (e, l) => `STRPOS(${e}, ${l}) > 0`,
    startsWith: (e, l) => `STARTS_WITH(${e}, ${l})`,
    endsWith: (e, l) => `ENDS_WITH(${e}, ${l})`,
    limit: limitOffset,
  },
  databricks: {
    platform: "databricks",
    string: backslashString,
    quoteIdentifier: backtickDoubled,
    aggregate: (type, expr) => commonAggregate(type, expr, (e) => `MEDIAN(${e})`),
    contains: (e, l) => `CONTAINS(${e}, ${l})`,
    startsWith: (e, l) => `STARTSWITH(${e}, ${l})`,
    endsWith: (e, l) => `ENDSWITH(${e}, ${l})`,
    limit: limitOffset,
  },
  duckdb: {
    platform: "duckdb",
    string: standardString,
    quoteIdentifier: doubleQuoted,
    aggregate: (type, expr) => commonAggregate(type, expr, (e) => `MEDIAN(${e})`),
    contains: (e, l) => `CONTAINS(${e}, ${l})`,
    startsWith: (e, l) => `STARTS_WITH(${e}, ${l})`,
    endsWith: (e, l) => `ENDS_WITH(${e}, ${l})`,
    limit: limitOffset,
  },
};

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$/;

/** A number literal: only text that is a plain decimal number passes, re-spelt canonically. */
export function numberLiteral(value: string, field: string): string {
  const trimmed = value.trim();
  if (!NUMBER.test(trimmed) || !Number.isFinite(Number(trimmed))) {
    throw new ValidationError(
      `Invalid value for field ${field}: expected a number, got ${JSON.stringify(value)}`,
    );
  }
  return trimmed.startsWith("+") ? trimmed.slice(1) : trimmed;
}

const DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A date or date-time value checked as a real calendar date; rendered as a string literal. */
export function checkDate(value: string, field: string): { text: string; dateOnly: boolean } {
  const match = DATE.exec(value.trim());
  const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (
    !match ||
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    throw new ValidationError(
      `Invalid value for field ${field}: expected a date (YYYY-MM-DD), got ${JSON.stringify(value)}`,
    );
  }
  return { text: value.trim(), dateOnly: match[4] === undefined };
}

/** The day after a YYYY-MM-DD date, for inclusive day ranges over date-time fields. */
export function nextDay(date: string): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

export function booleanLiteral(value: string, field: string): string {
  const v = value.trim().toLowerCase();
  if (v === "true" || v === "false") return v.toUpperCase();
  throw new ValidationError(
    `Invalid value for field ${field}: expected true or false, got ${JSON.stringify(value)}`,
  );
}

/** Words that cannot stand as a bare alias in at least one of the dialects. */
const RESERVED = new Set(
  "all and any array as asc between both by case cast check collate column constraint create cross current_date current_time current_timestamp current_user default desc distinct else end except exists false fetch for foreign from full grant group having in inner intersect interval into is join lateral leading left like limit natural not null of offset on only or order outer over partition primary qualify references right rows select session_user some table then to trailing true union unique user using values when where window with".split(
    " ",
  ),
);

export const ALIAS = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** An output alias: bare when it is a plain lowercase word, quoted by the dialect otherwise. */
export function aliasSql(dialect: Dialect, alias: string): string {
  if (!ALIAS.test(alias)) throw new ValidationError(`Invalid alias: ${alias}`);
  return /^[a-z_][a-z0-9_]*$/.test(alias) && !RESERVED.has(alias) ? alias : dialect.quoteIdentifier(alias);
}
