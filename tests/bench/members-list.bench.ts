/**
 * Members list at 100,000 members: first page, a deep page via cursor, trigram search, status filter and the capped
 * count, each as the median of 20 runs and as a ratio against a primary-key lookup measured in the same run.
 * Run through `npm run bench members-list` (tests/bench/run.ts hands us a migrated database).
 */
import { sql } from "kysely";
import pg from "pg";
import { APP_ROLE, createDb, db, withTenant, type DB } from "../../app/db.server";
import { countMembersCapped, encodeCursor, listMembers, listMembersQuery, type MemberListQuery } from "../../app/domain/members/search.server";
import { newId } from "../../app/lib/ids";
import { medianMs } from "./timing";

const MEMBERS = 100_000;
const ORDERS = 150_000;
// Buyers are spread evenly over join dates (every 2.5th member).
const BUYERS = 40_000; // member numbers 1 + k * 5 / 2 for k < BUYERS
const RUNS = 20;
const WARMUP = 3;

// Deterministic member ids of the real shape (mbr_ + 26 base32 chars): md5 hex with 0/1/8/9 mapped into the alphabet.
const memberIdSql = (n: string) => `'mbr_' || substr(translate(md5(${n}::text || 'a') || md5(${n}::text || 'b'), '0189', 'wxyz'), 1, 26)`;

const FIRST = ["Maria", "James", "Wei", "Aisha", "Olga", "Luis", "Emma", "Noah", "Yuki", "Fatima", "Liam", "Sofia", "Omar", "Ines", "Jonas", "Priya", "Mateo", "Chloe", "Ivan", "Zara"];
// 50 surnames: 'Garcia' is 2% of members, so a search has to find ~2,000 of 100,000.
const LAST = ["Garcia", "Smith", "Müller", "Rossi", "Dubois", "Kowalski", "Novak", "Silva", "Jensen", "Virtanen", "Nagy", "Popescu", "Ivanova", "Yilmaz", "Cohen", "Khan", "Patel", "Singh", "Kim", "Lee", "Tanaka", "Sato", "Nguyen", "Tran", "Wang", "Li", "Chen", "Zhang", "Okafor", "Mensah", "Diallo", "Haddad", "Nasser", "Costa", "Santos", "Ferreira", "Lopez", "Martinez", "Hernandez", "Gonzalez", "Perez", "Sanchez", "Ramirez", "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Reyes", "Morales"];

async function seed(app: DB, owner: DB): Promise<string> {
  const merchantId = newId("merchant");
  await app.insertInto("merchants").values({ id: merchantId, slug: `bench-${merchantId.slice(4, 14)}`, name: "Bench Co", currency: "USD", timezone: "UTC" }).execute();
  const arr = (xs: string[]) => `array[${xs.map((x) => `'${x}'`).join(",")}]`;
  await withTenant(app, merchantId, async (trx) => {
    await sql
      .raw(
        `insert into members (merchant_id, id, email, name, external_id, status, created_at, updated_at)
         select '${merchantId}', ${memberIdSql("i")},
                'user' || i || '@example.com',
                (${arr(FIRST)})[1 + i % ${FIRST.length}] || ' ' || (${arr(LAST)})[1 + (i * 7) % ${LAST.length}],
                case when i % 2 = 0 then 'CRM-' || i end,
                case when i % 100 < 3 then 'blocked' when i % 100 = 3 then 'deleted' else 'active' end,
                ts, ts
         from generate_series(1, ${MEMBERS}) i,
              lateral (select timestamptz '2023-01-01' + (i * interval '15 minutes') + (i % 997) * interval '1 microsecond' as ts) t`,
      )
      .execute(trx);
    await sql
      .raw(
        `insert into orders (merchant_id, id, member_id, source, external_order_id, amount_minor, currency, occurred_at)
         select '${merchantId}', 'ord_' || substr(translate(md5(j::text || 'o') || md5(j::text || 'p'), '0189', 'wxyz'), 1, 26),
                ${memberIdSql(`(1 + ((j * 7919) % ${BUYERS}) * 5 / 2)`)}, 'seed', 'o' || j, 500 + (j * 37) % 20000, 'USD',
                timestamptz '2024-06-01' + (j * interval '5 minutes')
         from generate_series(1, ${ORDERS}) j`,
      )
      .execute(trx);
  });
  // Statistics as the table owner, so the planner sees the real shape of the data.
  await sql`analyze members`.execute(owner);
  await sql`analyze orders`.execute(owner);
  return merchantId;
}

const median = (fn: () => Promise<unknown>) => medianMs(fn, { runs: RUNS, warmup: WARMUP });

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
}

function describePlan(node: PlanNode): { top: string; usesTrigram: boolean; memberAccess: string[] } {
  const label = (n: PlanNode) => `${n["Node Type"]}${n["Index Name"] ? ` using ${n["Index Name"]}` : n["Relation Name"] ? ` on ${n["Relation Name"]}` : ""}`;
  const memberAccess: string[] = [];
  let usesTrigram = false;
  const walk = (n: PlanNode) => {
    if (n["Index Name"] === "members_search_trgm") usesTrigram = true;
    if (n["Relation Name"] === "members" || n["Index Name"]?.startsWith("members")) memberAccess.push(label(n));
    n.Plans?.forEach(walk);
  };
  walk(node);
  return { top: label(node), usesTrigram, memberAccess };
}

/**
 * The plans of the statements a list query runs, including those inside member_search_page (a search runs there, as
 * the function's owner, so a plain EXPLAIN of the outer query would only show "Function Scan"). auto_explain logs every
 * nested statement's plan and client_min_messages = log sends those lines to us. Runs as the app role with the tenant
 * set, like the app. Needs the owner to be allowed to LOAD auto_explain (superuser, as in the embedded server).
 */
async function nestedPlans(ownerUrl: string, merchantId: string, query: MemberListQuery): Promise<Array<{ text: string; plan: PlanNode }>> {
  const client = new pg.Client({ connectionString: ownerUrl });
  const plans: Array<{ text: string; plan: PlanNode }> = [];
  client.on("notice", (msg) => {
    const at = msg.message?.indexOf("{") ?? -1;
    if (at < 0) return;
    try {
      const logged = JSON.parse(msg.message!.slice(at)) as { "Query Text": string; Plan: PlanNode };
      plans.push({ text: logged["Query Text"], plan: logged.Plan });
    } catch {
      // Not an auto_explain line.
    }
  });
  await client.connect();
  try {
    await client.query("begin");
    await client.query("load 'auto_explain'");
    for (const [k, v] of [["auto_explain.log_min_duration", "0"], ["auto_explain.log_nested_statements", "on"], ["auto_explain.log_format", "json"], ["client_min_messages", "log"]]) {
      await client.query("select set_config($1, $2, true)", [k, v]);
    }
    await client.query(`set local role ${APP_ROLE}`);
    await client.query("select set_config('app.merchant_id', $1, true)", [merchantId]);
    const compiled = listMembersQuery(merchantId, query).compile(db());
    await client.query(compiled.sql, compiled.parameters as unknown[]);
    await client.query("rollback");
  } finally {
    await client.end();
  }
  return plans;
}

export async function run(ownerUrl: string): Promise<void> {
  const app = db();
  const owner = createDb(ownerUrl, { role: null, max: 1 });
  try {
    const t0 = Date.now();
    const merchantId = await seed(app, owner);
    console.log(`seeded ${MEMBERS.toLocaleString("en-US")} members and ${ORDERS.toLocaleString("en-US")} orders in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const probe = await withTenant(app, merchantId, (trx) =>
      sql<{ id: string; ts: string }>`
        select id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ts
        from members where merchant_id = ${merchantId} order by created_at desc, id desc offset 90000 limit 1`.execute(trx),
    );
    const deep = probe.rows[0]!;
    const deepCursor = encodeCursor({ ts: deep.ts, id: deep.id });

    const list = (q: MemberListQuery) => () => withTenant(app, merchantId, (trx) => listMembers(trx, merchantId, q));
    const baseline = await median(() =>
      withTenant(app, merchantId, (trx) => sql`select * from members where merchant_id = ${merchantId} and id = ${deep.id}`.execute(trx)),
    );

    const cases: Array<[string, () => Promise<unknown>]> = [
      ["first page (50)", list({})],
      ["deep page via cursor (row 90,000)", list({ cursor: deepCursor })],
      ["previous page via cursor (row 90,000)", list({ cursor: deepCursor, direction: "prev" })],
      ["search q='garcia' (~2% match)", list({ q: "garcia" })],
      ["search q='user98765' (rare)", list({ q: "user98765" })],
      ["search q='example' (matches everyone)", list({ q: "example" })],
      ["search q='us' (2-char e-mail prefix)", list({ q: "us" })],
      ["search q='zq' (2-char prefix, no match)", list({ q: "zq" })],
      ["search q='garcia' deep page via cursor", list({ q: "garcia", cursor: deepCursor })],
      ["search q='garcia' + status=blocked", list({ q: "garcia", status: "blocked" })],
      ["search q='garcia' + hasOrders=true", list({ q: "garcia", hasOrders: true })],
      ["filter status=blocked (3%)", list({ status: "blocked" })],
      ["filter hasOrders=true", list({ hasOrders: true })],
      ["capped count, no filter", () => withTenant(app, merchantId, (trx) => countMembersCapped(trx, merchantId, {}))],
      ["capped count, q='garcia'", () => withTenant(app, merchantId, (trx) => countMembersCapped(trx, merchantId, { q: "garcia" }))],
      ["capped count, q='user98765'", () => withTenant(app, merchantId, (trx) => countMembersCapped(trx, merchantId, { q: "user98765" }))],
      ["capped count, q='example' (everyone)", () => withTenant(app, merchantId, (trx) => countMembersCapped(trx, merchantId, { q: "example" }))],
    ];

    console.log(`baseline (primary-key lookup of one member): ${baseline.toFixed(3)} ms median of ${RUNS}`);
    console.log("| case | median ms | × baseline |");
    console.log("|---|---:|---:|");
    for (const [name, fn] of cases) {
      const ms = await median(fn);
      console.log(`| ${name} | ${ms.toFixed(3)} | ${(ms / baseline).toFixed(1)}× |`);
    }

    const explained: MemberListQuery[] = [{ q: "garcia" }, { q: "user98765" }, { q: "example" }, { q: "zq" }, { q: "garcia", hasOrders: true }];
    for (const query of explained) {
      const q = JSON.stringify(query);
      let plans: Awaited<ReturnType<typeof nestedPlans>>;
      try {
        plans = await nestedPlans(ownerUrl, merchantId, query);
      } catch (err) {
        console.log(`EXPLAIN ${q}: unavailable (${(err as Error).message})`);
        continue;
      }
      // The statements member_search_page runs (the outer query only shows a Function Scan over it).
      const inner = plans.filter((p) => p.text.includes("from public.members"));
      const outer = plans.find((p) => p.text.includes("member_search_page("));
      if (!inner.length || !outer) {
        console.log(`EXPLAIN ${q}: no plan logged for the search function`);
        continue;
      }
      const steps = inner.map((p) => {
        const d = describePlan(p.plan);
        const step = p.text.includes("materialized") ? "step 2 (sparse: all matches, then sort)" : p.text.includes("count(*)") ? "window size" : "step 1 (walk the newest rows)";
        return `${step}: members via ${d.memberAccess.join(" → ")}`;
      });
      const usesTrigram = inner.some((p) => describePlan(p.plan).usesTrigram);
      console.log(`EXPLAIN ${q} inside member_search_page — ${steps.join("; ")}; trigram index used: ${usesTrigram ? "yes" : "no"}; ` +
        `outer query reads the page's members via ${describePlan(outer.plan).memberAccess.join(" → ")}`);
    }
  } finally {
    await owner.destroy();
  }
}
