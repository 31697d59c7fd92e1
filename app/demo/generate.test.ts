import { describe, it, expect } from "vitest";
import { DEFAULT_DEMO_PARAMS, generateDemoData, summarizeDemoData } from "./generate";

const DAY = 86_400_000;
const now = new Date("2026-11-22T17:00:00Z");
const data = generateDemoData({ seed: 42, now, members: 2000 });
const summary = summarizeDemoData(data);

function ordersByMember() {
  const m = new Map<number, typeof data.orders>();
  for (const o of data.orders) {
    const list = m.get(o.memberKey) ?? [];
    list.push(o);
    m.set(o.memberKey, list);
  }
  return m;
}

describe("generateDemoData", () => {
  it("is deterministic: same seed and now give identical output, another seed does not", () => {
    expect(generateDemoData({ seed: 42, now, members: 2000 })).toEqual(data);
    const other = generateDemoData({ seed: 43, now, members: 2000 });
    expect(other.members.map((m) => m.email)).not.toEqual(data.members.map((m) => m.email));
    expect(other.orders.length).not.toBe(data.orders.length);
  });

  it("creates 2,000 members keyed in join order, spread over the two years before now", () => {
    expect(data.members).toHaveLength(2000);
    expect(data.members.map((m) => m.key)).toEqual(data.members.map((_, i) => i));
    const start = now.getTime() - 730 * DAY;
    const quarters = new Array<number>(8).fill(0);
    for (const m of data.members) {
      const t = m.createdAt.getTime();
      expect(t).toBeGreaterThanOrEqual(start);
      expect(t).toBeLessThanOrEqual(now.getTime());
      quarters[Math.min(7, Math.floor((t - start) / (730 * DAY / 8)))]!++;
    }
    // Growing, but every quarter has a real share of sign-ups.
    for (const q of quarters) expect(q).toBeGreaterThan(0.06 * 2000);
    expect(quarters[7]!).toBeGreaterThan(quarters[0]!);
    for (let i = 1; i < data.members.length; i++) {
      expect(data.members[i]!.createdAt.getTime()).toBeGreaterThanOrEqual(data.members[i - 1]!.createdAt.getTime());
    }
  });

  it("gives members plausible identities: unique example-domain e-mails, ~70% birthdays, ~10% external ids", () => {
    const emails = data.members.map((m) => m.email);
    expect(new Set(emails).size).toBe(emails.length);
    for (const e of emails) expect(e).toMatch(/^[a-z0-9._]+@example\.(com|org|net)$/);
    for (const m of data.members) expect(m.name).toMatch(/^\S.* \S+$/);

    const birthdays = data.members.flatMap((m) => (m.birthday ? [m.birthday] : []));
    expect(birthdays.length / 2000).toBeGreaterThan(0.65);
    expect(birthdays.length / 2000).toBeLessThan(0.75);
    for (const b of birthdays) {
      expect(b).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      const age = now.getUTCFullYear() - Number(b.slice(0, 4));
      expect(age).toBeGreaterThanOrEqual(18);
      expect(age).toBeLessThanOrEqual(72);
    }

    const ext = data.members.flatMap((m) => (m.externalId ? [m.externalId] : []));
    expect(ext.length / 2000).toBeGreaterThan(0.07);
    expect(ext.length / 2000).toBeLessThan(0.13);
    expect(new Set(ext).size).toBe(ext.length);
    for (const x of ext) expect(x).toMatch(/^(cus_[A-Za-z0-9]{14}|shop-\d{5})$/);
  });

  it("keeps every order between the member's sign-up and now, in integer cents within $6–$80", () => {
    const joined = new Map(data.members.map((m) => [m.key, m.createdAt.getTime()]));
    const ids = new Set<string>();
    for (const o of data.orders) {
      expect(Number.isInteger(o.amountMinor)).toBe(true);
      expect(o.amountMinor).toBeGreaterThanOrEqual(600);
      expect(o.amountMinor).toBeLessThanOrEqual(8000);
      expect(o.occurredAt.getTime()).toBeLessThanOrEqual(now.getTime());
      expect(o.occurredAt.getTime()).toBeGreaterThanOrEqual(joined.get(o.memberKey)!);
      expect(o.externalOrderId).toMatch(/^seed-\d{6}$/);
      ids.add(o.externalOrderId);
    }
    expect(ids.size).toBe(data.orders.length);
    expect(data.orders[0]!.externalOrderId).toBe("seed-000001");
  });

  it("looks like a coffee shop: realistic buyer share, repeat share, basket size and opening hours", () => {
    expect(summary.buyers / summary.members).toBeGreaterThan(0.75);
    expect(summary.buyers / summary.members).toBeLessThan(0.95);
    expect(summary.repeatShare).toBeGreaterThan(0.4);
    expect(summary.repeatShare).toBeLessThan(0.75);
    expect(summary.meanOrderMinor).toBeGreaterThan(1800);
    expect(summary.meanOrderMinor).toBeLessThan(3500);
    const sorted = data.orders.map((o) => o.amountMinor).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    expect(median).toBeGreaterThan(1800);
    expect(median).toBeLessThan(3500);

    // Most buyers place their first order at or shortly after sign-up.
    const joined = new Map(data.members.map((m) => [m.key, m.createdAt.getTime()]));
    let soon = 0;
    for (const [key, list] of ordersByMember()) if (list[0]!.occurredAt.getTime() - joined.get(key)! < DAY) soon++;
    expect(soon / summary.buyers).toBeGreaterThan(0.6);

    const hour = new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", hour: "numeric", hourCycle: "h23" });
    const inHours = data.orders.filter((o) => {
      const h = Number(hour.format(o.occurredAt));
      return h >= 6 && h <= 20;
    }).length;
    expect(inHours / data.orders.length).toBeGreaterThan(0.97);
  });

  it("draws the latent traits from the stated Gamma mixing distributions", () => {
    const c = data.truth.customers;
    const { r, alpha, s, beta, p, q, gamma } = DEFAULT_DEMO_PARAMS;
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    // Means within 5 standard errors (SD of Gamma(k, θ) is √k/θ).
    const lambdas = c.map((x) => x.purchaseRatePerDay);
    expect(Math.abs(mean(lambdas) - r / alpha)).toBeLessThan((5 * Math.sqrt(r)) / alpha / Math.sqrt(c.length));
    const mus = c.map((x) => x.dropoutRatePerDay);
    expect(Math.abs(mean(mus) - s / beta)).toBeLessThan((5 * Math.sqrt(s)) / beta / Math.sqrt(c.length));
    // Customer mean spend p/ν with ν ~ Gamma(q, γ): mean pγ/(q−1), SD mean/√(q−2).
    const m = (p * gamma) / (q - 1);
    expect(Math.abs(mean(c.map((x) => x.meanSpendMinor)) - m)).toBeLessThan((5 * m) / Math.sqrt(q - 2) / Math.sqrt(c.length));
  });

  it("produces order counts that match the Poisson expectation implied by the drawn truth", () => {
    // Given λ, the first order and the lifetime, each buyer's repeat orders are Poisson(λ · observed alive span).
    // The total must land within 4 SD of its expectation, and per-customer deviations must have Poisson
    // dispersion (Pearson χ² ≈ its degrees of freedom): a wrong rate unit, a lost or extra event, or a
    // truncation at the wrong time would break one of the two.
    const counts = new Map<number, number>();
    for (const o of data.orders) counts.set(o.memberKey, (counts.get(o.memberKey) ?? 0) + 1);
    let expected = 0;
    let observed = 0;
    let chi2 = 0;
    let df = 0;
    for (const c of data.truth.customers) {
      if (!c.firstOrderAt) {
        expect(counts.get(c.memberKey)).toBeUndefined();
        continue;
      }
      const end = Math.min(c.aliveUntil!.getTime(), now.getTime());
      const e = (c.purchaseRatePerDay * Math.max(0, end - c.firstOrderAt.getTime())) / DAY;
      const x = counts.get(c.memberKey)! - 1;
      expected += e;
      observed += x;
      if (e >= 1) {
        chi2 += (x - e) ** 2 / e;
        df++;
      }
    }
    expect(observed).toBeGreaterThan(1000);
    expect(Math.abs(observed - expected)).toBeLessThan(4 * Math.sqrt(expected));
    // Each term has mean 1 and variance 2 + 1/e ≤ 3.
    expect(Math.abs(chi2 - df)).toBeLessThan(5 * Math.sqrt(3 * df));
  });

  it("spends around each customer's own mean (Gamma-Gamma), not a shared one", () => {
    const pairs: Array<[number, number]> = [];
    for (const [key, list] of ordersByMember()) {
      if (list.length < 8) continue;
      const avg = list.reduce((a, o) => a + o.amountMinor, 0) / list.length;
      pairs.push([data.truth.customers[key]!.meanSpendMinor, avg]);
    }
    expect(pairs.length).toBeGreaterThan(200);
    const mx = pairs.reduce((a, [x]) => a + x, 0) / pairs.length;
    const my = pairs.reduce((a, [, y]) => a + y, 0) / pairs.length;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (const [x, y] of pairs) {
      sxy += (x - mx) * (y - my);
      sxx += (x - mx) ** 2;
      syy += (y - my) ** 2;
    }
    expect(sxy / Math.sqrt(sxx * syy)).toBeGreaterThan(0.85);
    expect(Math.abs(my / mx - 1)).toBeLessThan(0.05);
  });

  it("picks a loyal, still-active demo member with a history to show", () => {
    const n = data.orders.filter((o) => o.memberKey === data.demoMemberKey).length;
    expect(n).toBeGreaterThanOrEqual(8);
    expect(data.truth.customers[data.demoMemberKey]!.aliveUntil!.getTime()).toBeGreaterThan(now.getTime());
  });

  it("keeps truth dates valid when a customer draws a near-zero dropout rate", () => {
    // Seed 8 draws μ ≈ 1e-8/day: an uncapped lifetime of ~10^8 days would be an Invalid Date.
    const d = generateDemoData({ seed: 8, now, members: 2000 });
    expect(Math.min(...d.truth.customers.map((c) => c.dropoutRatePerDay))).toBeLessThan(1e-7);
    for (const c of d.truth.customers) if (c.aliveUntil) expect(Number.isFinite(c.aliveUntil.getTime())).toBe(true);
  });

  it("handles small populations and rejects an invalid now", () => {
    const small = generateDemoData({ seed: 1, now, members: 25 });
    expect(small.members).toHaveLength(25);
    expect(small.truth.customers).toHaveLength(25);
    expect(() => generateDemoData({ seed: 1, now: new Date("nope") })).toThrow();
  });
});
