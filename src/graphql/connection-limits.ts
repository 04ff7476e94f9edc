// Page sizes of connection fields are refused above their maximum, never capped in silence: a
// client asking for 100 000 rows learns that it gets at most 100. Every `first`/`last` argument
// the relay plugin creates carries its maximum in `extensions.maxPageSize` (and says it in its
// description); this Pothos plugin checks it before any resolver of such a field runs.
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import type { GraphQLFieldResolver } from "graphql";
import { ValidationError } from "../errors.js";

/** The largest page a connection returns (the cost estimate assumes no more). */
export const MAX_PAGE_SIZE = 100;

/** Options for a `first`/`last` argument limited to `max` items. */
export function pageSizeArgOptions(direction: "first" | "last", max: number = MAX_PAGE_SIZE) {
  return {
    description: `Returns the ${direction} n items: 0 to ${max} (a larger value is refused).`,
    extensions: { maxPageSize: max },
  };
}

const PAGE_ARGUMENTS = ["first", "last"] as const;

export class ConnectionLimitsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> {
    const limits = PAGE_ARGUMENTS.flatMap((name) => {
      const max = fieldConfig.args[name]?.extensions?.maxPageSize;
      return typeof max === "number" ? [{ name, max }] : [];
    });
    if (limits.length === 0) return resolver;
    return (parent, args, context, info) => {
      for (const { name, max } of limits) {
        const value = (args as Record<string, unknown>)[name];
        if (typeof value === "number" && (value < 0 || value > max)) {
          const message = `must be between 0 and ${max}`;
          throw new ValidationError(`${name} ${message}`, [{ field: name, message }], {
            field: name,
            max,
          });
        }
      }
      return resolver(parent, args, context, info);
    };
  }
}

const pluginName = "connectionLimits";
SchemaBuilder.registerPlugin(pluginName, ConnectionLimitsPlugin);
export default pluginName;

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      connectionLimits: ConnectionLimitsPlugin<Types>;
    }
  }
}
