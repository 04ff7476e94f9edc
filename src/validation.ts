// zod → the application's ValidationError, so every transport reports bad input the same way.
import type { z } from "zod";
import { ValidationError } from "./errors.js";

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ""): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw zodToValidationError(result.error, prefix);
}

export function zodToValidationError(error: z.ZodError, prefix = ""): ValidationError {
  const issues = error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join(".") || "(body)",
    message: issue.message,
  }));
  const first = issues[0];
  const message =
    issues.length === 1 && first
      ? `${first.field}: ${first.message}`
      : `Invalid input: ${issues.length} problems`;
  return new ValidationError(message, issues);
}
