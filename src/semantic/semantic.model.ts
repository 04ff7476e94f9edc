// The semantic model document, in the snake_case shape of the metadata API (seed 003), and its
// validation: names, types, table_name XOR query, unique entity and field names, known to_entity.
import { z } from "zod";
import { ValidationError } from "../errors.js";
import { parseInput } from "../validation.js";
import { PLATFORMS } from "./codegen/dialects.js";

/** Entity names qualify columns in joins and relationship expressions, so they are plain words. */
const Name = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "must be a letter or _ followed by letters, digits or _");
const Text = z.string().max(2000);
const Expr = z.string().trim().min(1, "must not be empty").max(10_000);

export const DIMENSION_TYPES = [
  "TEXT",
  "NUMBER",
  "INTEGER",
  "FLOAT",
  "DECIMAL",
  "DATE",
  "DATETIME",
  "BOOLEAN",
] as const;
export const MEASURE_TYPES = ["NUMBER", "INTEGER", "FLOAT", "DECIMAL"] as const;
export const AGGREGATION_TYPES = [
  "SUM",
  "COUNT",
  "COUNT_DISTINCT",
  "AVG",
  "MIN",
  "MAX",
  "MEDIAN",
  "CUSTOM",
] as const;
export const JOIN_TYPES = ["ONE_TO_ONE", "ONE_TO_MANY", "MANY_TO_ONE"] as const;

const Dimension = z.object({
  name: Name,
  label: Text.optional(),
  data_type: z.enum(DIMENSION_TYPES),
  hidden: z.boolean().default(false),
  expr: Expr,
});

const Measure = z.object({
  name: Name,
  label: Text.optional(),
  data_type: z.enum(MEASURE_TYPES),
  hidden: z.boolean().default(false),
  expr: Expr,
  aggregation_type: z.enum(AGGREGATION_TYPES),
});

const Relationship = z.object({
  name: Name,
  join_type: z.enum(JOIN_TYPES),
  to_entity: Name,
  expr: Expr,
});

const Entity = z.object({
  name: Name,
  label: Text.optional(),
  description: Text.optional(),
  table_name: z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$/,
      "must be a table name, optionally qualified",
    )
    .optional(),
  query: Expr.optional(),
  dimensions: z.array(Dimension).default([]),
  measures: z.array(Measure).default([]),
  relationships: z.array(Relationship).default([]),
});

const Domain = z.object({
  name: Name,
  label: Text.optional(),
  description: Text.optional(),
  entities: z.array(Entity).default([]),
});

const Layer = z.object({
  name: Name,
  label: Text.optional(),
  environment: z.object({ platform: z.enum(PLATFORMS) }),
  domains: z.array(Domain).default([]),
});

const ModelShape = z.object({
  version: z.string().min(1).max(20).default("1.0"),
  layers: z.array(Layer).min(1, "must have at least one layer"),
});

export type SemanticModelDocument = z.output<typeof ModelShape>;
export type LayerDef = SemanticModelDocument["layers"][number];
export type EntityDef = LayerDef["domains"][number]["entities"][number];
export type DimensionDef = EntityDef["dimensions"][number];
export type MeasureDef = EntityDef["measures"][number];
export type RelationshipDef = EntityDef["relationships"][number];

export const SemanticModelInput = ModelShape.superRefine((model, ctx) => {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path, message });
  const layerNames = new Set<string>();
  const entityNames = new Map<string, string>();
  model.layers.forEach((layer, l) => {
    if (layerNames.has(layer.name)) issue(["layers", l, "name"], `duplicate layer name ${layer.name}`);
    layerNames.add(layer.name);
    for (const domain of layer.domains) {
      for (const entity of domain.entities) {
        if (entityNames.has(entity.name)) continue;
        entityNames.set(entity.name, layer.name);
      }
    }
  });
  const seen = new Set<string>();
  model.layers.forEach((layer, l) => {
    layer.domains.forEach((domain, d) => {
      domain.entities.forEach((entity, e) => {
        const at = ["layers", l, "domains", d, "entities", e];
        if (seen.has(entity.name)) issue([...at, "name"], `duplicate entity name ${entity.name}`);
        seen.add(entity.name);
        if (entity.table_name !== undefined && entity.query !== undefined) {
          issue(at, "table_name and query are mutually exclusive: set one of them");
        } else if (entity.table_name === undefined && entity.query === undefined) {
          issue(at, "one of table_name or query is required");
        }
        const fields = new Set<string>();
        for (const [kind, list] of [
          ["dimensions", entity.dimensions],
          ["measures", entity.measures],
        ] as const) {
          list.forEach((field, f) => {
            if (fields.has(field.name))
              issue([...at, kind, f, "name"], `duplicate field name ${field.name} in entity ${entity.name}`);
            fields.add(field.name);
          });
        }
        entity.relationships.forEach((rel, r) => {
          const target = entityNames.get(rel.to_entity);
          if (target === undefined)
            issue([...at, "relationships", r, "to_entity"], `unknown to_entity ${rel.to_entity}`);
          else if (target !== layer.name) {
            issue([...at, "relationships", r, "to_entity"], `to_entity ${rel.to_entity} is in another layer`);
          }
        });
      });
    });
  });
});

/** Parses and validates a model document; throws a ValidationError naming each problem. */
export function parseSemanticModel(input: unknown): SemanticModelDocument {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new ValidationError("A semantic model must be a JSON object with version and layers");
  }
  return parseInput(SemanticModelInput, input, "model");
}

export type LocatedEntity = { layer: LayerDef; entity: EntityDef };

export function findEntity(model: SemanticModelDocument, name: string): LocatedEntity | undefined {
  for (const layer of model.layers) {
    for (const domain of layer.domains) {
      const entity = domain.entities.find((e) => e.name === name);
      if (entity) return { layer, entity };
    }
  }
  return undefined;
}

export function allEntities(model: SemanticModelDocument): LocatedEntity[] {
  return model.layers.flatMap((layer) =>
    layer.domains.flatMap((domain) => domain.entities.map((entity) => ({ layer, entity }))),
  );
}
