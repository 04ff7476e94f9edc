// Prisma CLI configuration. The CLI's native schema engine cannot be downloaded on this
// project's machines, so it runs the WASM engine ("js") through a driver adapter. Run the CLI
// through scripts/prisma.mjs (`npm run prisma -- ...`), which supplies DATABASE_URL when absent.
// Only `prisma generate` and `prisma migrate diff` are used; the application applies
// migrations itself (src/db/migrator.ts).
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  async adapter() {
    return new PrismaPg({
      connectionString: process.env.DATABASE_URL ?? "postgresql://127.0.0.1:5432/postgres",
    });
  },
});
