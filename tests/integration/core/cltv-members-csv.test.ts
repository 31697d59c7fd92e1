import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "~/db.server";
import type { MEMBER_SCORES_COLUMNS } from "~/domain/cltv/member-export-csv";
import { scoredMemberBatches } from "~/domain/cltv/member-export.server";
import * as membersCsv from "~/routes/admin.$merchant.cltv.members[.csv]";
import { createStaff, getRequest, thrownResponse } from "../../support/admin";
import { scoredMerchant, TRICKY_NAMES } from "../../support/cltv-scored";

/**
 * /admin/<slug>/cltv/members.csv: every scored member's scores, streamed in keyset batches. The file is parsed back
 * with csv-parse and checked against member_stats; escaping, staff roles and tenancy.
 */

let A: Awaited<ReturnType<typeof scoredMerchant>>;
let B: Awaited<ReturnType<typeof scoredMerchant>>;
let analystA: { cookie: string };
let ownerB: { cookie: string };

beforeAll(async () => {
  A = await scoredMerchant({ customers: 130, seed: 21 });
  B = await scoredMerchant({ customers: 40, seed: 12 });
  analystA = await createStaff(A.merchant.id, "analyst");
  ownerB = await createStaff(B.merchant.id, "owner");
}, 120_000);

async function download(slug: string, cookie: string): Promise<Response> {
  return membersCsv.loader({ request: getRequest(`/admin/${slug}/cltv/members.csv`, cookie), params: { merchant: slug }, context: {} });
}

type Row = Record<(typeof MEMBER_SCORES_COLUMNS)[number], string>;

describe("per-member CLTV CSV", () => {
  it("streams a header and one line per scored member, values as member_stats holds them", async () => {
    const res = await download(A.merchant.slug, analystA.cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("Content-Disposition")).toBe(`attachment; filename="${A.merchant.slug}-cltv-members.csv"`);
    expect(res.body).toBeInstanceOf(ReadableStream);
    const text = await res.text();
    expect(text.split("\n")[0]).toBe(
      "member_id,external_id,email,name,status,order_count,lifetime_spend,currency,predicted_purchases_12m,p_alive,expected_order_value,cltv_12m,cltv_24m,cltv_36m,cltv_percentile,value_segment,at_risk,scored_at,cltv_model_id," +
        "predicted_purchases_12m_low,predicted_purchases_12m_high,p_alive_low,p_alive_high,cltv_12m_low,cltv_12m_high",
    );
    const rows = parse(text, { columns: true }) as Row[];
    // Every scored member once, in member id order; the member without orders is not scored and not listed.
    expect(rows).toHaveLength(130);
    expect(rows.map((r) => r.member_id)).toEqual([...A.memberIds].sort());
    expect(rows.some((r) => r.member_id === A.unscoredId)).toBe(false);

    const st = await A.tx((trx) => trx.selectFrom("member_stats").selectAll().where("merchant_id", "=", A.merchant.id).where("cltv_model_id", "is not", null).orderBy("cltv_12m_minor", "desc").orderBy("member_id").limit(1).executeTakeFirstOrThrow());
    const member = await A.tx((trx) => trx.selectFrom("members").selectAll().where("merchant_id", "=", A.merchant.id).where("id", "=", st.member_id).executeTakeFirstOrThrow());
    const row = rows.find((r) => r.member_id === st.member_id)!;
    const major = (minor: number | null) => (minor! / 100).toFixed(2);
    const num4 = (v: number | null) => (v === null ? "" : String(Number(v.toFixed(4))));
    expect(row).toEqual({
      member_id: st.member_id,
      external_id: member.external_id ?? "",
      email: member.email,
      name: member.name === null ? "" : member.name.startsWith("=") ? `'${member.name}` : member.name,
      status: "active",
      order_count: String(st.order_count),
      lifetime_spend: major(st.lifetime_spend_minor),
      currency: "USD",
      predicted_purchases_12m: String(Number(st.predicted_purchases_12m!.toFixed(4))),
      p_alive: String(Number(st.p_alive!.toFixed(4))),
      expected_order_value: major(st.expected_order_minor),
      cltv_12m: major(st.cltv_12m_minor),
      cltv_24m: major(st.cltv_24m_minor),
      cltv_36m: major(st.cltv_36m_minor),
      cltv_percentile: String(Number(st.cltv_percentile!.toFixed(2))),
      value_segment: "top",
      at_risk: String(st.at_risk),
      scored_at: new Date(st.scored_at!).toISOString(),
      cltv_model_id: A.modelId,
      predicted_purchases_12m_low: num4(st.predicted_purchases_12m_low),
      predicted_purchases_12m_high: num4(st.predicted_purchases_12m_high),
      p_alive_low: num4(st.p_alive_low),
      p_alive_high: num4(st.p_alive_high),
      cltv_12m_low: st.cltv_12m_low_minor === null ? "" : major(Number(st.cltv_12m_low_minor)),
      cltv_12m_high: st.cltv_12m_high_minor === null ? "" : major(Number(st.cltv_12m_high_minor)),
    });
    expect(Number(row.cltv_12m)).toBeGreaterThan(0);
    // Segments as stored: 20 / 60 / 20 of 130.
    const count = (seg: string) => rows.filter((r) => r.value_segment === seg).length;
    expect([count("top"), count("middle"), count("bottom")]).toEqual([26, 78, 26]);
  });

  it("escapes commas, quotes and line breaks, and defuses formulas", async () => {
    const text = await (await download(A.merchant.slug, analystA.cookie)).text();
    expect(text).toContain('"Doe, ""Jane"""');
    expect(text).toContain('"Line\nBreak"');
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example"")"`);
    const rows = parse(text, { columns: true }) as Row[];
    const names = new Map(rows.map((r) => [r.member_id, r.name]));
    expect(names.get(A.memberIds[0]!)).toBe(TRICKY_NAMES[0]);
    expect(names.get(A.memberIds[1]!)).toBe(`'${TRICKY_NAMES[1]}`);
    expect(names.get(A.memberIds[2]!)).toBe(TRICKY_NAMES[2]);
    expect(names.get(A.memberIds[3]!)).toBe(TRICKY_NAMES[3]);
    // A member without a name has an empty cell, not "null".
    expect(names.get(A.memberIds[6]!)).toBe("");
  });

  it("reads in keyset batches: every member exactly once, in order, whatever the batch size", async () => {
    const seen: string[] = [];
    let batches = 0;
    for await (const batch of scoredMemberBatches(db(), A.merchant.id, 7)) {
      batches += 1;
      expect(batch.length).toBeLessThanOrEqual(7);
      seen.push(...batch.map((r) => r.member_id));
    }
    expect(batches).toBe(Math.ceil(130 / 7));
    expect(seen).toEqual([...A.memberIds].sort());
    // An exact multiple of the batch size ends with an empty read, not a repeated or missing member.
    const exact: string[] = [];
    for await (const batch of scoredMemberBatches(db(), A.merchant.id, 13)) exact.push(...batch.map((r) => r.member_id));
    expect(exact).toEqual(seen);
  });

  it("shows each merchant only its own members", async () => {
    const b = await (await download(B.merchant.slug, ownerB.cookie)).text();
    const rows = parse(b, { columns: true }) as Row[];
    expect(rows.map((r) => r.member_id).sort()).toEqual([...B.memberIds].sort());
    for (const id of A.memberIds) expect(b).not.toContain(id);
    expect(b).not.toContain(A.modelId!);
    // B's owner at A's slug: 404, no data.
    const cross = await thrownResponse(() => download(A.merchant.slug, ownerB.cookie));
    expect(cross.status).toBe(404);
    expect(await cross.text()).not.toContain(A.memberIds[0]!);
    // A's batches never include B's members.
    const all: string[] = [];
    for await (const batch of scoredMemberBatches(db(), A.merchant.id, 50)) all.push(...batch.map((r) => r.member_id));
    expect(all.filter((id) => B.memberIds.includes(id))).toEqual([]);
  });

  it("needs a staff session", async () => {
    const anonymous = await thrownResponse(() => membersCsv.loader({ request: new Request(`http://localhost:3000/admin/${A.merchant.slug}/cltv/members.csv`), params: { merchant: A.merchant.slug }, context: {} }));
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get("Location")).toMatch(/^\/login\?redirectTo=/);
  });
});
