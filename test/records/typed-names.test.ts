// The typed graph's naming rules (docs/graph.md, "Names"): deterministic, collision-free with
// the static schema and between modules, and stable when later modules arrive.
import { validateSchema } from "graphql";
import { describe, expect, it } from "vitest";
import { syntheticModules } from "../../scripts/bench/typed-schema.bench.js";
import { staticSchema } from "../../src/graphql/organization-schema.js";
import type { ModuleDef } from "../../src/records/modules.store.js";
import { enumValueNames, fieldNames, moduleNames, singular } from "../../src/records/typed-names.js";
import { buildTypedSchema, reservedNames } from "../../src/records/typed-schema.js";

let created = 0;
function module(slug: string, fields: ModuleDef["fields"] = []): ModuleDef {
  created += 1;
  return {
    id: `00000000-0000-4000-8000-${String(created).padStart(12, "0")}`,
    organizationId: "00000000-0000-4000-8000-000000000000",
    slug,
    name: slug,
    fields,
    displayFields: [],
    subtitleFields: [],
    createdAt: new Date(1_700_000_000_000 + created * 1000),
    updatedAt: new Date(1_700_000_000_000 + created * 1000),
  };
}

const names = (modules: ModuleDef[]) => {
  const all = moduleNames(modules, reservedNames(staticSchema));
  return modules.map((m) => all.get(m.id)!);
};

describe("module names", () => {
  it("singularises the slug's last word", () => {
    expect(
      ["contacts", "companies", "boxes", "addresses", "status", "staff", "deal_stages"].map(singular),
    ).toEqual(["contact", "company", "box", "address", "status", "staff", "deal_stage"]);
  });

  it("never takes a static type, query or mutation, and renames deterministically", () => {
    const [users, records, contacts, staff] = names([
      module("users"),
      module("records"),
      module("contacts"),
      module("staff"),
    ]);
    expect(users).toMatchObject({
      typeName: "UserRecord",
      singleField: "userRecord",
      listField: "userRecordList",
    });
    expect(records!.typeName).toBe("RecordRecord");
    expect(contacts).toMatchObject({
      typeName: "Contact",
      listField: "contacts",
      singleField: "contact",
      createMutation: "createContact",
    });
    expect(staff).toMatchObject({ typeName: "Staff", singleField: "staff", listField: "staffList" });
  });

  it("gives a later module the other name when an earlier one took it, and never renames the earlier", () => {
    const first = module("contact");
    const second = module("contacts");
    expect(names([first]).map((n) => n.typeName)).toEqual(["Contact"]);
    expect(names([second, first]).map((n) => n.typeName)).toEqual(["ContactRecord", "Contact"]);
    // A module whose name is a derived name of an earlier type (ContactFilter) is renamed.
    expect(names([first, second, module("contact_filters")]).map((n) => n.typeName)).toEqual([
      "Contact",
      "ContactRecord",
      "ContactFilterRecord",
    ]);
  });
});

describe("field and enum names", () => {
  it("camel-cases slugs and renames those taken by core fields, keywords or earlier fields", () => {
    const fields = ["deal_value", "version", "and", "version_field", "name_", "name"].map((slug) => ({
      slug,
      label: slug,
      type: "text" as const,
      required: false,
    }));
    expect([...fieldNames(fields).values()]).toEqual([
      "dealValue",
      "versionField",
      "andField",
      "versionFieldField",
      "name",
      "nameField",
    ]);
  });

  it("derives enum values from options, reversibly", () => {
    const values = enumValueNames(["Mid-Market", "Won't fix", "2024", "", "mid market", "Café", "true"]);
    expect(Object.fromEntries(values)).toEqual({
      "Mid-Market": "MID_MARKET",
      "Won't fix": "WON_T_FIX",
      "2024": "V_2024",
      "": "V_",
      "mid market": "MID_MARKET_2",
      Café: "CAFE",
      true: "TRUE_2",
    });
    expect(new Set(values.values()).size).toBe(values.size);
  });
});

describe("the built schema", () => {
  it("is a valid schema for 20 modules of 30 fields of every type, referencing each other", () => {
    const schema = buildTypedSchema(staticSchema, syntheticModules());
    expect(validateSchema(schema)).toEqual([]);
    expect(schema.getType("Module0")).toBeDefined();
    expect(Object.keys(schema.getQueryType()!.getFields())).toEqual(
      expect.arrayContaining(["module0List", "module0"]),
    );
  });
});
