import { afterAll } from "vitest";
import { resetClock } from "../../app/lib/clock.server";
import { resetEnvCache } from "../../app/lib/env.server";

/**
 * The integration project runs with `isolate: false` (vitest.config.ts): a worker keeps its modules from one test file
 * to the next instead of importing the app again for every file (seconds per file). What a file may change in the
 * process's shared state is put back after it, whether or not the file did so itself: the environment (and the
 * app's parsed copy of it) and the app's clock.
 */
const savedEnv = { ...process.env };

afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  resetEnvCache();
  resetClock();
});
