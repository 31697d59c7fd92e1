import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import type { Trx } from "~/db.server";
import { createEventSeam, ownColumns, type DomainEvent, type ProgramRegistration } from "./seam.server";

const trx = {} as Trx;
const base = { trx, merchantId: "mer_1", actor: { type: "system" as const, id: "test" } };
const earned = (memberId: string): DomainEvent => ({ type: "pointsEarned", memberId, points: 10, source: "event", journalId: "jnl_1", at: new Date(0) });

describe("the event seam", () => {
  it("runs every handler of an event in registration order, and only those of that event", async () => {
    const log: string[] = [];
    const program = (name: string): ProgramRegistration => ({
      name,
      on: {
        pointsEarned: async (_ctx, e) => void log.push(`${name}:${e.memberId}`),
        memberEnrolled: async () => void log.push(`${name}:enrolled`),
      },
    });
    const seam = createEventSeam([program("first"), { name: "quiet" }, program("second")]);
    await seam.publish(base, earned("mem_1"));
    expect(log).toEqual(["first:mem_1", "second:mem_1"]);
  });

  it("lets a handler publish a follow-on event that every program hears, before the next handler of the first runs", async () => {
    const log: string[] = [];
    const seam = createEventSeam([
      {
        name: "tiers",
        on: {
          pointsEarned: async (ctx, e) => {
            log.push("tiers:earned");
            await ctx.publish({ type: "tierChanged", memberId: e.memberId, fromTierId: null, tierId: "tier_gold", at: e.at });
          },
        },
      },
      {
        name: "webhooks",
        on: {
          pointsEarned: async () => void log.push("webhooks:earned"),
          tierChanged: async (_ctx, e) => void log.push(`webhooks:tier ${e.tierId}`),
        },
      },
    ]);
    await seam.publish(base, earned("mem_1"));
    expect(log).toEqual(["tiers:earned", "webhooks:tier tier_gold", "webhooks:earned"]);
  });

  it("stops at a handler's error and passes it to the flow, whose transaction then rolls back", async () => {
    const log: string[] = [];
    const seam = createEventSeam([
      { name: "broken", on: { pointsEarned: async () => Promise.reject(new Error("boom")) } },
      { name: "after", on: { pointsEarned: async () => void log.push("after") } },
    ]);
    await expect(seam.publish(base, earned("mem_1"))).rejects.toThrow("boom");
    expect(log).toEqual([]);
  });

  it("gives handlers the earning context row and reads a program's own columns back by its prefix", async () => {
    let seen: Record<string, unknown> = {};
    const seam = createEventSeam([{ name: "tiers", earning: { columns: () => ({ relevant: sql`true` }) }, on: { pointsEarned: async (ctx) => void (seen = ownColumns("tiers", ctx.earningRow)) } }]);
    await seam.publish({ ...base, earningRow: { tiers_relevant: false, offers_percent: 150, currency: "USD" } }, earned("mem_1"));
    expect(seen).toEqual({ relevant: false });
  });

  it("refuses two programs with one name, or a name that could not prefix a column", () => {
    expect(() => createEventSeam([{ name: "tiers" }, { name: "tiers" }])).toThrow(/unique/);
    expect(() => createEventSeam([{ name: "Tiers; drop" }])).toThrow(/lower-case/);
  });
});
