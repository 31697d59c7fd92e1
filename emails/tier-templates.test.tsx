import { describe, expect, it } from "vitest";
import { renderEmail, type EmailMessage } from "./index";
import { PreviewProps as atRiskPreview } from "./tier-at-risk";
import { PreviewProps as reachedPreview } from "./tier-reached";

const cases: Array<{ msg: EmailMessage; subject: string; link: string; says: string[] }> = [
  {
    msg: { template: "tier-reached", to: "ada@example.test", props: reachedPreview },
    subject: "Welcome to Roast at Sunrise Coffee",
    link: reachedPreview.portalUrl,
    says: ["ADA, YOU REACHED ROAST", "1.5× points on every purchase", "200 extra points on your birthday", "Free oat milk", "Early access to seasonal beans"],
  },
  {
    msg: { template: "tier-at-risk", to: "ada@example.test", props: atRiskPreview },
    subject: "Keep your Reserve status at Sunrise Coffee",
    link: atRiskPreview.portalUrl,
    says: ["On Jan 1, 2027 your tier at Sunrise Coffee changes from Reserve to Roast", "Spend $38.00 more before then to keep Reserve"],
  },
  {
    msg: { template: "tier-at-risk", to: "ada@example.test", props: { ...atRiskPreview, toTierName: null, basis: "points", missing: "1,200 points" } },
    subject: "Keep your Reserve status at Sunrise Coffee",
    link: atRiskPreview.portalUrl,
    says: ["from Reserve to the standard membership", "Earn 1,200 points more"],
  },
];

describe("tier e-mail templates", () => {
  it.each(cases)("$msg.template renders subject, HTML and text with the link ($subject)", async ({ msg, subject, link, says }) => {
    const r = await renderEmail(msg);
    expect(r.subject).toBe(subject);
    expect(r.html).toMatch(/^<!DOCTYPE html/i);
    expect(r.html).toContain(`href="${link}"`);
    expect(r.text).toContain(link);
    for (const s of says) expect(r.text).toContain(s);
  });

  it("escapes the merchant's perks in the HTML", async () => {
    const r = await renderEmail({ template: "tier-reached", to: "a@example.test", props: { ...reachedPreview, perks: "<script>x</script>" } });
    expect(r.html).not.toContain("<script>x</script>");
  });
});
