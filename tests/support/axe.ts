import fs from "node:fs";
import { createRequire } from "node:module";
import type { AxeResults } from "axe-core";
import type { Page } from "playwright-core";

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * Loads axe-core into the page. Evaluated through the DevTools protocol: the pages' Content-Security-Policy
 * (rightly) refuses the inline <script> that page.addScriptTag would add.
 */
export async function injectAxe(page: Page): Promise<void> {
  await page.evaluate(AXE_SOURCE);
}

/** axe-core's serious and critical WCAG 2.1 A/AA violations on the page, one readable line each (empty when clean). */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  await injectAxe(page);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: { run: (d: Document, o: object) => Promise<AxeResults> } }).axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    }),
  );
  return results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(" | ")}`);
}
