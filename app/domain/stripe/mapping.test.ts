import { describe, expect, it } from "vitest";
import { charge, checkoutSession, dispute, invoice, invoicePayment, purchaseScenario, stripeEvent } from "../../../tests/support/fake-stripe";
import { factFromEvent, stripeEventSchema } from "./mapping";

const fact = (e: unknown) => factFromEvent(stripeEventSchema.parse(e));

describe("factFromEvent", () => {
  it("a paid Checkout Session is an order keyed by its PaymentIntent", () => {
    const s = checkoutSession({ email: "Ada@Example.com", amount: 4250, currency: "usd", paymentIntent: "pi_123" });
    const f = fact(stripeEvent("checkout.session.completed", s, { created: 1_700_000_000 }));
    expect(f).toEqual({
      kind: "order",
      object: "checkout.session",
      objectId: s.id,
      externalOrderId: s.id,
      paymentKey: "pi_123",
      email: "ada@example.com",
      amountMinor: 4250,
      currency: "USD",
      occurredAt: new Date(1_700_000_000_000),
      discounts: { promotions: [], totalMinor: 0, subtotalMinor: 4250, customerId: null, creditAppliedMinor: 0 },
    });
  });

  it("reads what promotion codes and store credit took off (issue 16: cost at use)", () => {
    const one = checkoutSession({ email: "a@b.co", amount: 3200, paymentIntent: "pi_1" });
    Object.assign(one, { amount_subtotal: 4000, discounts: [{ coupon: "c", promotion_code: "promo_1" }], total_details: { amount_discount: 800 } });
    expect(fact(stripeEvent("checkout.session.completed", one))).toMatchObject({
      discounts: { promotions: [{ promotionCodeId: "promo_1", amountMinor: 800 }], totalMinor: 800, subtotalMinor: 4000 },
    });
    // Two codes without a breakdown: no per-code amount; with the breakdown (expanded): each code's own.
    const two = checkoutSession({ email: "a@b.co", amount: 3000, paymentIntent: "pi_2" });
    Object.assign(two, { discounts: [{ promotion_code: "promo_a" }, { promotion_code: { id: "promo_b" } }], total_details: { amount_discount: 1000 } });
    expect(fact(stripeEvent("checkout.session.completed", two))).toMatchObject({
      discounts: { promotions: [{ promotionCodeId: "promo_a", amountMinor: null }, { promotionCodeId: "promo_b", amountMinor: null }] },
    });
    Object.assign(two, { total_details: { amount_discount: 1000, breakdown: { discounts: [{ amount: 600, discount: { promotion_code: "promo_a" } }, { amount: 400, discount: "di_x" }] } } });
    expect(fact(stripeEvent("checkout.session.completed", two))).toMatchObject({ discounts: { promotions: [{ promotionCodeId: "promo_a", amountMinor: 600 }] } });
    // A discount shape we do not know leaves the order intact, without discounts.
    Object.assign(two, { discounts: "garbled" });
    expect(fact(stripeEvent("checkout.session.completed", two))).toMatchObject({ kind: "order", discounts: { promotions: [] } });
    // An invoice that drew 6.00 of a 10.00 customer credit.
    const inv = { id: "in_c", amount_paid: 1400, currency: "usd", customer_email: "a@b.co", customer: "cus_1", starting_balance: -1000, ending_balance: -400 };
    expect(fact(stripeEvent("invoice.paid", inv))).toMatchObject({ discounts: { customerId: "cus_1", creditAppliedMinor: 600 } });
  });

  it("a session that created an invoice shares the invoice's order id; no PaymentIntent falls back to the session", () => {
    const s = checkoutSession({ email: "a@b.co", amount: 100, paymentIntent: null, invoice: "in_9" });
    expect(fact(stripeEvent("checkout.session.completed", s))).toMatchObject({ externalOrderId: "in_9", paymentKey: s.id });
  });

  it("an expanded payment_intent object is read by id; customer_email is the fallback e-mail", () => {
    const s = checkoutSession({ email: "x@y.co", amount: 100 });
    s.payment_intent = { id: "pi_obj", object: "payment_intent" };
    s.customer_details = null;
    s.customer_email = "Fallback@Example.com";
    expect(fact(stripeEvent("checkout.session.completed", s))).toMatchObject({ paymentKey: "pi_obj", email: "fallback@example.com" });
  });

  it.each([
    [{ mode: "subscription" as const }, /subscription mode/],
    [{ paymentStatus: "unpaid" as const }, /not paid yet/],
    [{ amount: 0 }, /nothing paid/],
    [{ email: "not-an-email" }, /no customer e-mail/],
    [{ currency: "us" }, /not an ISO code/],
  ])("ignores a session %o", (over, reason) => {
    const s = checkoutSession({ email: "a@b.co", amount: 500, ...over });
    const f = fact(stripeEvent("checkout.session.completed", s));
    expect(f.kind).toBe("ignore");
    expect(f.kind === "ignore" && f.reason).toMatch(reason);
  });

  it("invoice.paid is an order; PaymentIntent from `payments`, paid_at as the date", () => {
    const inv = invoice({ email: "sub@x.co", amount: 1999, currency: "eur", paymentIntent: "pi_inv", paidAt: 1_710_000_000 });
    expect(fact(stripeEvent("invoice.paid", inv))).toMatchObject({
      kind: "order",
      externalOrderId: inv.id,
      paymentKey: "pi_inv",
      amountMinor: 1999,
      currency: "EUR",
      occurredAt: new Date(1_710_000_000_000),
    });
    const bare = invoice({ email: "sub@x.co", amount: 1999 });
    expect(fact(stripeEvent("invoice.paid", bare))).toMatchObject({ paymentKey: bare.id });
    // Older API versions name the PaymentIntent on the invoice itself.
    expect(fact(stripeEvent("invoice.paid", { ...bare, payment_intent: "pi_old" }))).toMatchObject({ paymentKey: "pi_old" });
  });

  it("invoice_payment.paid says which payment paid an invoice", () => {
    expect(fact(stripeEvent("invoice_payment.paid", invoicePayment({ invoice: "in_1", paymentIntent: "pi_1", amount: 10 })))).toEqual({
      kind: "invoice_payment",
      invoiceId: "in_1",
      paymentKey: "pi_1",
    });
    const noPayment = invoicePayment({ invoice: "in_1", paymentIntent: "pi_1", amount: 10 });
    noPayment.payment = { type: "out_of_band_payment" };
    expect(fact(stripeEvent("invoice_payment.paid", noPayment))).toMatchObject({ kind: "ignore" });
  });

  it("charges carry the cumulative refund and the card fingerprint", () => {
    const c = charge({ paymentIntent: "pi_1", amount: 1000, amountRefunded: 250, fingerprint: "fp_abc" });
    expect(fact(stripeEvent("charge.refunded", c))).toEqual({
      kind: "payment",
      paymentIntentId: "pi_1",
      chargeId: c.id,
      amountMinor: 1000,
      amountRefundedMinor: 250,
      currency: "USD",
      cardFingerprint: "fp_abc",
      email: null,
    });
  });

  it("disputes: only the funds events move points", () => {
    const s = purchaseScenario({ email: "d@x.co", amount: 1000 });
    expect(fact(s.disputeEvent("charge.dispute.created", "warning_needs_response"))).toMatchObject({ kind: "dispute", funds: null, status: "warning_needs_response" });
    expect(fact(s.disputeEvent("charge.dispute.closed", "lost"))).toMatchObject({ funds: null });
    expect(fact(s.disputeEvent("charge.dispute.funds_withdrawn", "needs_response"))).toMatchObject({ funds: "withdrawn", paymentIntentId: s.pi, chargeId: s.chargeId });
    expect(fact(s.disputeEvent("charge.dispute.funds_reinstated", "won"))).toMatchObject({ funds: "reinstated" });
    const noCharge = dispute({ charge: "ch_x", paymentIntent: null, amount: 5, status: "lost" });
    noCharge.charge = null;
    expect(fact(stripeEvent("charge.dispute.funds_withdrawn", noCharge))).toMatchObject({ kind: "ignore" });
  });

  it("other event types and malformed objects are ignored with a reason, never thrown", () => {
    expect(fact(stripeEvent("customer.created", { id: "cus_1" }))).toMatchObject({ kind: "ignore", reason: expect.stringMatching(/not an event Perennial uses/) });
    expect(fact(stripeEvent("charge.refunded", { id: "ch_1", amount: "ten" }))).toMatchObject({ kind: "ignore", reason: expect.stringMatching(/unexpected charge/) });
    expect(fact(stripeEvent("invoice.paid", { id: 5 }))).toMatchObject({ kind: "ignore" });
  });

  it("the envelope itself is validated", () => {
    expect(stripeEventSchema.safeParse({ id: "evt_1", type: "x", created: "yesterday", data: { object: {} } }).success).toBe(false);
    expect(stripeEventSchema.safeParse({ id: "evt_1", type: "x", created: 1, data: {} }).success).toBe(false);
  });
});
