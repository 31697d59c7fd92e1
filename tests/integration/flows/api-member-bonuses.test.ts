import { describe, expect, it } from "vitest";
import { api, createKey, createMerchant } from "../../support/api";

// Members created or completed through POST /api/v1/members earn the merchant's bonuses, once each.
describe("POST /api/v1/members and the points bonuses", () => {
  it("a new member gets the sign-up bonus once; completing the profile adds its bonus once", async () => {
    const merchant = await createMerchant("bonus");
    const { token } = await createKey(merchant.id, ["members:read", "members:write", "points:read"]);
    const created = await api("POST", "/api/v1/members", { token, body: { email: "bonus@example.com" }, idempotencyKey: "m-1" });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const balance = async () => (await api("GET", `/api/v1/members/${id}/points`, { token })).json;
    // Default rules: 100 for joining, 50 for a complete profile (name and birthday).
    expect(await balance()).toMatchObject({ available: 100 });

    await api("POST", "/api/v1/members", { token, body: { email: "bonus@example.com", name: "Bo Nus" } });
    expect(await balance()).toMatchObject({ available: 100 });
    await api("POST", "/api/v1/members", { token, body: { email: "bonus@example.com", name: "Bo Nus", birthday: "1990-04-02" } });
    expect(await balance()).toMatchObject({ available: 150 });
    await api("POST", "/api/v1/members", { token, body: { email: "bonus@example.com", name: "Bo Nus", birthday: "1990-04-03" } });
    expect(await balance()).toMatchObject({ available: 150 });
  });
});
