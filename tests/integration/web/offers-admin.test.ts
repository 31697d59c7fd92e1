import { describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { memberOffers } from "~/domain/offers/member-offers.server";
import { action as newOfferAction } from "~/routes/admin.$merchant.offers.new";
import { action as offerAction, loader as offerLoader } from "~/routes/admin.$merchant.offers.$offerId";
import { action as newSegmentAction } from "~/routes/admin.$merchant.segments.new";
import { getRequest, postRequest } from "../../support/admin";
import { testDb } from "../../support/db";
import { offersFixture } from "../../support/offers";

/** The admin forms: segment and offer creation with field errors, the detail page's figures, archive and edit. */

const local = (d: Date) => d.toISOString().slice(0, 16);

describe("admin offers", () => {
  it("creates a segment and an offer from forms, reports the experiment, archives and edits", async () => {
    const f = await offersFixture({ members: 10, tagged: 10, holdoutPercent: 0 });
    const slug = f.merchant.slug;
    const seg = (await newSegmentAction({
      request: postRequest(`/admin/${slug}/segments/new`, f.owner.cookie, { name: "All", rule: JSON.stringify({ type: "group", op: "all", conditions: [] }) }),
      params: { merchant: slug },
      context: {},
    })) as Response;
    expect(seg.status).toBe(302);
    const badSeg = await newSegmentAction({ request: postRequest(`/admin/${slug}/segments/new`, f.owner.cookie, { name: "", rule: "{" }), params: { merchant: slug }, context: {} });
    expect(badSeg).toMatchObject({ init: { status: 400 } });

    const form = {
      title: "Free coffee",
      description: "",
      kind: "multiplier",
      multiplierPercent: "150",
      multiplierDays: "3",
      segmentId: f.segment.id,
      startsAt: local(new Date(Date.now() - 3_600_000)),
      endsAt: local(new Date(Date.now() + 86_400_000)),
      stockTotal: "",
      holdoutPercent: "20",
    };
    const bad = await newOfferAction({ request: postRequest(`/admin/${slug}/offers/new`, f.owner.cookie, { ...form, holdoutPercent: "60", multiplierDays: "" }), params: { merchant: slug }, context: {} });
    expect(bad).toMatchObject({ init: { status: 400 } });
    const errors = (bad as { data: { result: { error: Record<string, string[]> } } }).data.result.error;
    expect(Object.keys(errors).sort()).toEqual(["holdoutPercent", "multiplierDays"]);
    const created = (await newOfferAction({ request: postRequest(`/admin/${slug}/offers/new`, f.owner.cookie, form), params: { merchant: slug }, context: {} })) as Response;
    expect(created.status).toBe(302);
    const offerId = created.headers.get("Location")!.split("/").pop()!;

    const page = await offerLoader({ request: getRequest(`/admin/${slug}/offers/${offerId}`, f.owner.cookie), params: { merchant: slug, offerId }, context: {} });
    expect(page.offer.holdoutBps).toBe(2000);
    expect(page.counts.eligible).toBe(10);
    expect(page.counts.treated + page.counts.control).toBe(10);

    const archived = await offerAction({ request: postRequest(`/admin/${slug}/offers/${offerId}`, f.owner.cookie, { intent: "archive" }), params: { merchant: slug, offerId }, context: {} });
    expect(archived).toMatchObject({ intent: "archive" });
    const visible = await withTenant(testDb(), f.merchant.id, (trx) => memberOffers(trx, f.merchant.id, f.vip[0]!, new Date(), { recordSeen: false }));
    expect(visible.map((o) => o.id)).not.toContain(offerId);

    // Edit: the title changes; what it grants and the holdout stay as created even if the form says otherwise.
    const edited = await offerAction({
      request: postRequest(`/admin/${slug}/offers/${offerId}`, f.owner.cookie, { ...form, intent: "update", title: "Free coffee, renamed", multiplierPercent: "900", holdoutPercent: "0" }),
      params: { merchant: slug, offerId },
      context: {},
    });
    expect(edited).toMatchObject({ intent: "update", message: "Offer saved." });
    const after = await offerLoader({ request: getRequest(`/admin/${slug}/offers/${offerId}`, f.owner.cookie), params: { merchant: slug, offerId }, context: {} });
    expect(after.offer).toMatchObject({ title: "Free coffee, renamed", holdoutBps: 2000, status: "archived" });
    expect(after.values.multiplierPercent).toBe("150");
  });
});
