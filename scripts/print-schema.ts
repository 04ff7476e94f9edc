// Writes schema.graphql from the code-first schema. The committed file is a build artifact;
// test/graphql/schema.test.ts fails when it differs from what the code builds.
import { writeFileSync } from "node:fs";
import { printSchema } from "graphql";
import { schema } from "../src/graphql/schema.js";

const target = new URL("../schema.graphql", import.meta.url);
writeFileSync(target, `${printSchema(schema)}\n`);
console.log(`Wrote ${target.pathname}`);
