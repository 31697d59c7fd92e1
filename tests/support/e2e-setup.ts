import type { TestProject } from "vitest/node";
import { ensureBuild } from "../../app/server/build.server";
import { findChromium } from "./chromium";

declare module "vitest" {
  export interface ProvidedContext {
    chromiumPath: string;
  }
}

/** Browser tests need Debian's chromium and a production build; without chromium they are skipped with one clear line. */
export default function setup(project: TestProject) {
  // The production build is needed by every e2e test (HTTP-level ones too), with or without a browser.
  ensureBuild((line) => console.log(`[e2e] ${line}`));
  const chromium = findChromium();
  if (!chromium) {
    console.log("Chromium not found (apt-get install -y chromium, or set CHROMIUM_PATH): skipping the browser end-to-end tests.");
    project.provide("chromiumPath", "");
    return;
  }
  project.provide("chromiumPath", chromium);
}
