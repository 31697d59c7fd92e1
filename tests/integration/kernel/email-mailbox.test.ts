import { beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { listMailbox } from "~/domain/email/mailbox.server";
import { prepareJobsSchema } from "~/jobs/worker.server";
import { newId } from "~/lib/ids";
import { loader as layoutLoader } from "~/routes/admin.$merchant.mailbox";
import { loader as listLoader } from "~/routes/admin.$merchant.mailbox._index";
import { loader as detailLoader } from "~/routes/admin.$merchant.mailbox.$emailId";
import { action as settingsAction, loader as settingsLoader } from "~/routes/admin.$merchant.settings.email";
import { createMerchant, createStaff, getRequest, postRequest, thrownResponse } from "../../support/admin";
import { ownerUrl, testDb } from "../../support/db";

beforeAll(async () => {
  await prepareJobsSchema(ownerUrl);
});

/** Outbox rows written directly, `n` minutes apart; with `tie` the last two share a timestamp (the id breaks it). */
async function seedOutbox(merchantId: string, n: number, tie = false): Promise<string[]> {
  const base = Date.parse("2026-01-01T00:00:00Z");
  const rows = Array.from({ length: n }, (_, i) => ({
    merchant_id: merchantId,
    id: newId("email"),
    template: "welcome",
    to_address: `m${i}@example.test`,
    subject: `Message ${i}`,
    html: `<p>Message ${i}</p><script>alert(${i})</script>`,
    text_body: `Message ${i}`,
    created_at: new Date(base + (tie ? Math.min(i, n - 2) : i) * 60_000).toISOString(),
  }));
  await withTenant(testDb(), merchantId, (trx) => trx.insertInto("email_outbox").values(rows).execute());
  return rows.map((r) => r.id);
}

const call = <T extends (args: never) => unknown>(fn: T, request: Request, params: Record<string, string>) =>
  (fn as unknown as (a: { request: Request; params: Record<string, string>; context: object }) => ReturnType<T>)({ request, params, context: {} });

describe("Mailbox", () => {
  it("lists a merchant's e-mails newest first, page by page in both directions", async () => {
    const m = await createMerchant();
    await seedOutbox(m.id, 30, true);
    const page1 = await withTenant(testDb(), m.id, (trx) => listMailbox(trx, m.id, { limit: 12 }));
    const page2 = await withTenant(testDb(), m.id, (trx) => listMailbox(trx, m.id, { limit: 12, cursor: page1.nextCursor }));
    const page3 = await withTenant(testDb(), m.id, (trx) => listMailbox(trx, m.id, { limit: 12, cursor: page2.nextCursor }));
    const all = [...page1.rows, ...page2.rows, ...page3.rows];
    expect(all).toHaveLength(30);
    expect(new Set(all.map((r) => r.id)).size).toBe(30);
    const times = all.map((r) => r.createdAt.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(page1.prevCursor).toBeNull();
    expect(page3.nextCursor).toBeNull();
    expect(page3.rows).toHaveLength(6);

    const back = await withTenant(testDb(), m.id, (trx) => listMailbox(trx, m.id, { limit: 12, cursor: page3.prevCursor, dir: "prev" }));
    expect(back.rows.map((r) => r.id)).toEqual(page2.rows.map((r) => r.id));
    const first = await withTenant(testDb(), m.id, (trx) => listMailbox(trx, m.id, { limit: 12, cursor: back.prevCursor, dir: "prev" }));
    expect(first.rows.map((r) => r.id)).toEqual(page1.rows.map((r) => r.id));
    expect(first.prevCursor).toBeNull();
  });

  it("lets an analyst read the list and an e-mail, and treats a bad cursor as the first page", async () => {
    const m = await createMerchant();
    const ids = await seedOutbox(m.id, 3);
    const analyst = await createStaff(m.id, "analyst");
    const params = { merchant: m.slug };
    await call(layoutLoader, getRequest(`/admin/${m.slug}/mailbox`, analyst.cookie), params);
    const list = await call(listLoader, getRequest(`/admin/${m.slug}/mailbox?cursor=%27%3B--&dir=sideways`, analyst.cookie), params);
    expect(list.page.rows.map((r) => r.subject)).toEqual(["Message 2", "Message 1", "Message 0"]);

    const detail = await call(detailLoader, getRequest(`/admin/${m.slug}/mailbox/${ids[0]}`, analyst.cookie), { ...params, emailId: ids[0]! });
    expect(detail.email).toMatchObject({ id: ids[0], to: "m0@example.test", text: "Message 0" });
    expect(detail.email.html).toContain("<p>Message 0</p>");
  });

  it("never shows another merchant's e-mail (404), nor an unknown or malformed id", async () => {
    const a = await createMerchant();
    const b = await createMerchant();
    const [foreign] = await seedOutbox(b.id, 2);
    const staff = await createStaff(a.id, "owner");
    for (const emailId of [foreign!, newId("email"), "not-an-id", "mbr_aaaaaaaaaaaaaaaaaaaaaaaaaa"]) {
      const res = await thrownResponse(() => call(detailLoader, getRequest(`/admin/${a.slug}/mailbox/${emailId}`, staff.cookie), { merchant: a.slug, emailId }));
      expect(res.status, emailId).toBe(404);
    }
    const list = await call(listLoader, getRequest(`/admin/${a.slug}/mailbox`, staff.cookie), { merchant: a.slug });
    expect(list.page.rows).toEqual([]);
    // Staff of A asking for B's mailbox: 404 like a merchant that does not exist.
    const res = await thrownResponse(() => call(listLoader, getRequest(`/admin/${b.slug}/mailbox`, staff.cookie), { merchant: b.slug }));
    expect(res.status).toBe(404);
  });
});

describe("Settings → E-mail", () => {
  it("shows the delivery mode to analysts but lets only admins send a test e-mail", async () => {
    const m = await createMerchant();
    const analyst = await createStaff(m.id, "analyst");
    const view = await call(settingsLoader, getRequest(`/admin/${m.slug}/settings/email`, analyst.cookie), { merchant: m.slug });
    expect(view.canSend).toBe(false);
    expect(view.delivery.from).toBeTruthy();
    const res = await thrownResponse(() =>
      call(settingsAction, postRequest(`/admin/${m.slug}/settings/email`, analyst.cookie, { intent: "send-test" }), { merchant: m.slug }),
    );
    expect(res.status).toBe(403);
  });

  it("queues a test e-mail to the admin through the outbox", async () => {
    const m = await createMerchant({ name: "Test Mail Co" });
    const admin = await createStaff(m.id, "admin");
    const result = (await call(settingsAction, postRequest(`/admin/${m.slug}/settings/email`, admin.cookie, { intent: "send-test" }), { merchant: m.slug })) as {
      sentId: string | null;
    };
    expect(result.sentId).toMatch(/^eml_/);
    const row = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("email_outbox").selectAll().where("id", "=", result.sentId!).executeTakeFirstOrThrow());
    expect(row).toMatchObject({ template: "test", to_address: `${admin.id}@example.com`, subject: "Test e-mail from Test Mail Co on Perennial", status: "pending" });
    expect(row.text_body).toContain(`/admin/${m.slug}/mailbox`);
  });

  it("rejects an unknown intent with 400 and writes nothing", async () => {
    const m = await createMerchant();
    const admin = await createStaff(m.id, "admin");
    const res = (await call(settingsAction, postRequest(`/admin/${m.slug}/settings/email`, admin.cookie, { intent: "send-everyone" }), { merchant: m.slug })) as unknown;
    expect((res as { init: { status: number } }).init.status).toBe(400);
    const rows = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("email_outbox").select("id").execute());
    expect(rows).toEqual([]);
  });
});
