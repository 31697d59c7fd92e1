import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const alias = { "~": r("./app"), "~db": r("./db"), "~emails": r("./emails") };
const citusRecorder = process.env.CITUS_CHECK_LOG ? ["tests/support/citus-record.ts"] : [];

// Three suites: unit (beside the code, no database), integration (real PostgreSQL, a fresh database per worker
// cloned from a migrated template), e2e (the built app in Debian's Chromium).
export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["app/**/*.test.{ts,tsx}", "db/**/*.test.ts", "emails/**/*.test.{ts,tsx}", "tests/repo/**/*.test.ts", "tests/citus/**/*.test.ts"],
          environment: "node",
          setupFiles: ["tests/support/fail-on-console-error.ts"],
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.{ts,tsx}"],
          environment: "node",
          globalSetup: ["tests/support/global-setup.ts"],
          // The Citus check's statement recorder only when asked for (npm run check:citus sets CITUS_CHECK_LOG).
          setupFiles: [...citusRecorder, "tests/support/fail-on-console-error.ts", "tests/support/worker-db.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          pool: "forks",
        },
      },
      {
        resolve: { alias },
        test: {
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["tests/support/global-setup.ts", "tests/support/e2e-setup.ts"],
          setupFiles: ["tests/support/worker-db.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: "forks",
          fileParallelism: false,
        },
      },
    ],
  },
});
