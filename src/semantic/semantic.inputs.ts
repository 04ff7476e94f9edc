// The semantic query of POST /semantic-layer/codegen/sql and GraphQL semanticSql/semanticQuery.
// The structure is checked here; names, operators and limits are checked by the compiler, which
// reports them with the seed's exact texts.
import { z } from "zod";

const Scalar = z.union([z.string().max(10_000), z.number(), z.boolean()]);

export const FieldRefInput = z.object({
  entity: z.string({ message: "entity is required" }).min(1, "entity is required").max(200),
  field: z.string({ message: "field is required" }).min(1, "field is required").max(200),
  alias: z.string().max(200).optional(),
});
export type FieldRef = z.infer<typeof FieldRefInput>;

export type FilterInput = {
  type: string;
  field?: FieldRef | undefined;
  operator?:
    | {
        type: string;
        value?: string | number | boolean | undefined;
        values?: Array<string | number | boolean> | undefined;
      }
    | undefined;
  filters?: FilterInput[] | undefined;
};

export const FilterInputSchema: z.ZodType<FilterInput> = z.lazy(() =>
  z.object({
    type: z.string().max(50),
    field: FieldRefInput.optional(),
    operator: z
      .object({
        type: z.string().max(50),
        value: Scalar.optional(),
        values: z.array(Scalar).max(1000).optional(),
      })
      .optional(),
    filters: z.array(FilterInputSchema).max(100).optional(),
  }),
);

export const SemanticQueryInput = z.object({
  dimensions: z.array(FieldRefInput).max(100).default([]),
  measures: z.array(FieldRefInput).max(100).default([]),
  filters: z.array(FilterInputSchema).max(100).default([]),
  order_by: z
    .array(z.object({ field: FieldRefInput, desc: z.boolean().default(false) }))
    .max(100)
    .default([]),
  limit: z
    .object({
      fetch: z.number({ message: "fetch is required" }).int(),
      skip: z.number().int().default(0),
    })
    .optional(),
});
export type SemanticQuery = z.output<typeof SemanticQueryInput>;

export const CodegenInput = z.object({
  connection_name: z.string().max(200).optional(),
  query: SemanticQueryInput,
});
export type CodegenInput = z.input<typeof CodegenInput>;
