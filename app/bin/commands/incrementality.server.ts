import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import type { DB } from "~/db.server";
import { ARM_PATTERN } from "~/domain/experiments/import-assignments";
import { importAssignmentsFromFile } from "~/domain/experiments/import-assignments-file.server";
import { DomainError } from "~/lib/errors";
import { ciText, percent, pValueText, units } from "~/domain/incrementality/format";
import { loadHillstrom } from "~/demo/hillstrom.server";
import type { IncrementalityReport } from "~/domain/incrementality/report.server";

// The data set ships with the repository (tests/fixtures/experiments/PROVENANCE.md); the CLI runs from source via tsx.
export const HILLSTROM_IN_REPO = fileURLToPath(new URL("../../../tests/fixtures/experiments/hillstrom_minethatdata_2008.03.20.csv.gz", import.meta.url));

/** `import assignments` and `demo hillstrom` (registered on the operator CLI by app/bin/cli.ts). */
export function registerIncrementalityCommands(
  program: Command,
  deps: { openDatabase: () => Promise<DB>; requireMerchant: (database: DB, slug: string) => Promise<{ id: string; slug: string }> },
) {
  const importCmd = program.commands.find((c) => c.name() === "import") ?? program.command("import").description("bulk imports");
  importCmd
    .command("assignments")
    .description("import externally assigned experiment arms from a CSV (columns: customer_id or email, arm, optional assigned_at); re-importing changes nothing")
    .requiredOption("--merchant <slug>", "merchant slug")
    .requiredOption("--campaign <id>", "experiment id (exp_…), or the id of the offer / surprise gift it measures")
    .requiredOption("--file <path>", "CSV file with a header row")
    .option("--control <arm>", "the arm that is the control", "control")
    .option("--json", "print the result as JSON")
    .action(async (o: { merchant: string; campaign: string; file: string; control: string; json?: boolean }) => {
      if (!ARM_PATTERN.test(o.control)) throw new DomainError("validation_failed", "--control must be an arm name", { field: "control" });
      const database = await deps.openDatabase();
      const merchant = await deps.requireMerchant(database, o.merchant);
      const r = await importAssignmentsFromFile(database, merchant.id, { campaign: o.campaign, file: o.file, control: o.control, actor: { type: "system", id: "cli" } });
      if (o.json) {
        console.log(JSON.stringify(r, null, 2));
      } else {
        for (const e of r.errors.slice(0, 1000)) console.log(`line ${e.line}: ${e.message}`);
        if (r.errors.length > 1000) console.log(`… and ${r.errors.length - 1000} more line errors`);
        console.log(`${r.lines} lines: ${r.imported} assigned, ${r.unchanged} already assigned, ${r.errors.length} errors`);
        for (const a of r.arms) console.log(`  ${a.control ? "control   " : "arm       "} ${a.arm}: ${a.members} members`);
      }
      if (r.errors.length) process.exitCode = 2;
    });

  program
    .command("demo")
    .description("demonstration data sets")
    .command("hillstrom")
    .description("replay the MineThatData (Hillstrom 2008) e-mail test through the product and print the incrementality report")
    .option("--file <path>", "the Hillstrom CSV (plain or .gz); default: the repository's copy", HILLSTROM_IN_REPO)
    .option("--slug <slug>", "slug of the merchant to create", "hillstrom")
    .option("--json", "print the report as JSON")
    .action(async (o: { file: string; slug: string; json?: boolean }) => {
      const r = await loadHillstrom(await deps.openDatabase(), { file: o.file, slug: o.slug });
      if (o.json) {
        console.log(JSON.stringify({ merchantId: r.merchantId, slug: r.slug, members: r.members, orders: r.orders, report: r.report }, null, 2));
        return;
      }
      console.log(`created merchant ${r.slug} (${r.merchantId}): ${r.members} members, ${r.orders} orders, ${r.import.imported} assignments in ${r.seconds.toFixed(1)} s`);
      console.log(`owner ${r.ownerEmail} / ${r.ownerPassword} — report at /admin/${r.slug}/reports/${r.report.experiment.id}`);
      console.log(formatReportText(r.report));
    });
}

export function formatReportText(report: IncrementalityReport): string {
  const out: string[] = [`${report.experiment.name} — ${report.window.windowDays ?? "all"} days after assignment (${report.currency})`];
  for (const a of report.arms) {
    out.push(`  ${a.arm.padEnd(16)} n=${String(a.n).padStart(7)}  spend/member ${units(a.revenue.mean, 4)} (sd ${units(a.revenue.sd, 2)})  net value/member ${units(a.value.mean, 4)}${a.control ? "  [control]" : ""}`);
  }
  for (const c of report.comparisons) {
    out.push(`  ${c.arm} vs control:`);
    out.push(`    spend lift ${units(c.revenue.lift, 3, true)}  Welch t = ${c.revenue.t.toFixed(2)}  df = ${c.revenue.df.toFixed(0)}  p = ${pValueText(c.revenue.pValue)}  95% CI ${ciText(c.revenue)}`);
    out.push(`    CUPED on prior-year spend: θ = ${c.revenueCuped.theta.toFixed(5)}, lift ${units(c.revenueCuped.lift, 3, true)}, t = ${c.revenueCuped.t.toFixed(2)}, 95% CI ${ciText(c.revenueCuped)}, variance reduction ${percent(c.revenueCuped.varianceReduction, 2)}`);
    out.push(`    incremental CLTV (net of cost) ${units(c.value.lift, 3, true)} per member, ${units(c.total.lift, 0, true)} in total [${units(c.total.ci95[0], 0, true)}, ${units(c.total.ci95[1], 0, true)}]; MDE ${units(c.mde, 3)}`);
  }
  return out.join("\n");
}
