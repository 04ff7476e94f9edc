// The registry of entity types whose attributes are validated (seed 000 shows a supplier with an
// ISO country and a qualification status). Types not listed here are accepted with free-form
// attributes: the seed calls entities generic, and refusing unknown types would make every new
// kind of entity a code change (docs/entities-projects.md).
import type { FieldIssue } from "../errors.js";

/** ISO 3166-1 alpha-2: the 249 officially assigned codes. */
export const ISO_COUNTRY_CODES: ReadonlySet<string> = new Set(
  (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS " +
    "BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE " +
    "EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM " +
    "HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC " +
    "LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA " +
    "NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO " +
    "TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
  ).split(" "),
);

export const COUNTRY_MESSAGE = "Must be a valid ISO 3166-1 alpha-2 country code";

type AttributeRule = (value: unknown) => string | null;

const country: AttributeRule = (value) =>
  typeof value === "string" && ISO_COUNTRY_CODES.has(value) ? null : COUNTRY_MESSAGE;

const oneOf =
  (...allowed: string[]): AttributeRule =>
  (value) =>
    typeof value === "string" && allowed.includes(value) ? null : `Must be one of: ${allowed.join(", ")}`;

const text =
  (max: number): AttributeRule =>
  (value) =>
    typeof value === "string" && value.length <= max ? null : `Must be a string of at most ${max} characters`;

const email: AttributeRule = (value) =>
  typeof value === "string" && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) && value.length <= 320
    ? null
    : "Must be a valid e-mail address";

/** Known types: their listed attributes are checked when present; other attributes stay free. */
export const ENTITY_TYPES: Record<string, { required: string[]; attributes: Record<string, AttributeRule> }> =
  {
    supplier: {
      required: [],
      attributes: {
        country,
        qualification_status: oneOf("pending", "qualified", "conditional", "disqualified"),
        contact_email: email,
      },
    },
    customer: {
      required: [],
      attributes: { country, tier: oneOf("standard", "premium", "enterprise"), contact_email: email },
    },
    site: {
      required: ["country"],
      attributes: { country, city: text(200) },
    },
  };

/** Problems of `attributes` for `type`, as `attributes.<key>` field issues. */
export function attributeIssues(type: string, attributes: Record<string, unknown>): FieldIssue[] {
  const definition = ENTITY_TYPES[type];
  if (!definition) return [];
  const issues: FieldIssue[] = [];
  for (const key of definition.required) {
    if (attributes[key] === undefined) issues.push({ field: `attributes.${key}`, message: "Is required" });
  }
  for (const [key, rule] of Object.entries(definition.attributes)) {
    if (attributes[key] === undefined) continue;
    const message = rule(attributes[key]);
    if (message) issues.push({ field: `attributes.${key}`, message });
  }
  return issues;
}
