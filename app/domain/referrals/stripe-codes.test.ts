import { describe, expect, it } from "vitest";
import { stripeReferralCodes } from "./stripe-codes";

describe("stripeReferralCodes", () => {
  it("reads metadata first, then expanded promotion codes", () => {
    expect(
      stripeReferralCodes({ metadata: { referral_code: "ABCD234" }, discounts: [{ promotion_code: { id: "promo_1", code: "FRIEND99" } }, { promotion_code: "promo_2" }] }),
    ).toEqual(["ABCD234", "FRIEND99"]);
  });
  it("ignores missing, empty and non-string values", () => {
    expect(stripeReferralCodes({ metadata: { referral_code: 5 }, discounts: null, discount: { promotion_code: null } })).toEqual([]);
    expect(stripeReferralCodes({ metadata: { referral_code: "  " } })).toEqual([]);
  });
});
