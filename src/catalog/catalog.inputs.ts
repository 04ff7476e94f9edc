// Inputs of the catalog service, validated once here for REST and GraphQL alike. The messages
// are the seed's documented `detail` texts, so a failure reads the same on both transports.
import { z } from "zod";
import { decodeCursor as decodeKernelCursor, encodeCursor as encodeKernelCursor } from "../db/cursor.js";
import { ValidationError } from "../errors.js";

export const MAX_NAME_LENGTH = 255;
export const MAX_CONTENT_BYTES = 15 * 1024 * 1024;

const requiredString = (missing: string) =>
  z.string({
    error: (issue) =>
      issue.input === undefined || issue.input === null
        ? missing
        : `${missing.split(" ")[0]} must be a string`,
  });

const Name = requiredString("Name is required")
  .trim()
  .min(1, "Name is required")
  .refine((name) => !name.includes("/"), "Name cannot contain '/' character")
  // URLs normalise dot segments away: such a name could never be addressed by path.
  .refine((name) => name !== "." && name !== "..", "Name cannot be '.' or '..'")
  .refine(
    (name) => [...name].length <= MAX_NAME_LENGTH,
    `Name exceeds maximum length of ${MAX_NAME_LENGTH} characters`,
  );

const Content = requiredString("Content is required").refine(
  (content) => Buffer.byteLength(content, "utf8") <= MAX_CONTENT_BYTES,
  "Content exceeds the 15 MB size limit",
);

const ParentPath = requiredString("Parent path is required").min(1, "Parent path is required");

const Description = z
  .string({ error: "Description must be a string" })
  .max(10_000, "Description exceeds maximum length of 10000 characters");

export const FolderTypeSchema = z.enum(["REGULAR", "PROJECT"], { error: "Invalid value for folder_type" });
export type FolderType = z.infer<typeof FolderTypeSchema>;

export const CreateFolderSchema = z.object({
  parentPath: ParentPath,
  name: Name,
  folderType: FolderTypeSchema.default("REGULAR"),
});

export const CreateAssetSchema = z.object({
  parentPath: ParentPath,
  name: Name,
  content: Content,
  description: Description.optional(),
});

export const UpdateFolderSchema = z.object({ name: Name.optional() });

export const UpdateAssetSchema = z
  .object({ name: Name.optional(), content: Content.optional(), description: Description.optional() })
  .refine(
    (input) => input.name !== undefined || input.content !== undefined || input.description !== undefined,
    "At least one field should be provided",
  );

/** What callers send, unvalidated: a missing field may be absent or null (both transports). */
type Loose<T> = { [K in keyof T]?: T[K] | null };
export type CreateFolderInput = Loose<{ parentPath: string; name: string; folderType: string }>;
export type CreateAssetInput = Loose<{
  parentPath: string;
  name: string;
  content: string;
  description: string;
}>;
export type UpdateFolderInput = Loose<{ name: string }>;
export type UpdateAssetInput = Loose<{ name: string; content: string; description: string }>;

export type PageCursor = { kind: "FOLDER" | "ASSET"; name: string };

/** Page cursors are opaque to callers: the last item's (kind, name), the listing's sort key. */
export function encodeCursor(cursor: PageCursor): string {
  return encodeKernelCursor([cursor.kind, cursor.name]);
}

export function decodeCursor(token: string | null | undefined): PageCursor | null {
  if (!token) return null;
  const payload = decodeKernelCursor(token);
  if (Array.isArray(payload)) {
    const [kind, name] = payload as unknown[];
    if ((kind === "FOLDER" || kind === "ASSET") && typeof name === "string") return { kind, name };
  }
  throw new ValidationError("Invalid page token", [], { field: "after" });
}

/**
 * Parses an input; the first problem becomes the error's message (the seed's `detail` is one
 * sentence), the field goes in details.
 */
export function parseCatalogInput<S extends z.ZodType>(schema: S, input: object): z.output<S> {
  // null means "not given" on both transports (JSON null, GraphQL null).
  const given = Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== null && value !== undefined),
  );
  const result = schema.safeParse(given);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") || undefined;
  throw new ValidationError(issue?.message ?? "Invalid input", [], field ? { field } : undefined);
}

/** CoginitiScript blocks (`#+src ...`, `{{ ... }}`) make a script a CoginitiScript. */
export function detectAssetType(content: string): "COGINITI_SCRIPT" | "SQL_SCRIPT" {
  return /#\+src\b/.test(content) || /\{\{[\s\S]*?\}\}/.test(content) ? "COGINITI_SCRIPT" : "SQL_SCRIPT";
}
