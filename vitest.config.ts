import { defineConfig } from "vitest/config";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import LongestFirstSequencer from "./tests/support/sequencer";

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const alias = { "~": r("./app"), "~db": r("./db"), "~emails": r("./emails") };
const citusRecorder = process.env.CITUS_CHECK_LOG ? ["tests/support/citus-record.ts"] : [];

const BUILT_APP_FILES = ["tests/integration/channels/stripe-webhook.test.ts", "tests/integration/channels/stripe-ledger.test.ts"];
const integration = {
  environment: "node" as const,
  globalSetup: ["tests/support/global-setup.ts"],
  // The Citus check's statement recorder only when asked for (npm run check:citus sets CITUS_CHECK_LOG).
  setupFiles: [...citusRecorder, "tests/support/fail-on-console-error.ts", "tests/support/worker-db.ts", "tests/support/file-isolation.ts"],
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: "forks" as const,
};

// Three suites: unit (beside the code, no database), integration (real PostgreSQL, a fresh database per worker
// cloned from a migrated template), e2e (the built app in Debian's Chromium).
export default defineConfig({
  resolve: { alias },
  test: {
    // At least two workers (Vitest's default is cores - 1, one worker on a 2-core machine): an integration worker
    // waits on its PostgreSQL backend about as long as it computes, so one worker leaves a core idle. The e2e
    // project still runs one file at a time (fileParallelism: false), after the others.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: LongestFirstSequencer },
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
          exclude: BUILT_APP_FILES,
          ...integration,
          // A worker keeps its modules from one file to the next: importing the app again for each file cost seconds
          // per file (most of a small file's time). Every file makes its own merchants and puts back what it changes
          // in the process (tests/support/file-isolation.ts restores the environment and the clock after each file).
          isolate: false,
        },
      },
      {
        resolve: { alias },
        test: {
          // The integration files that serve the production build in-process: the build carries its own copy of the
          // app's modules, whose Zod schemas register their OpenAPI ids in Zod's one global registry, so they cannot
          // share a process with files that imported the sources. Each gets a fresh process, as before.
          name: "integration-built",
          include: BUILT_APP_FILES,
          ...integration,
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
