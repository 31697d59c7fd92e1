import { describe, expect, it } from "vitest";
import { renderEmail, type EmailMessage } from "./index";
import { PreviewProps as passwordResetPreview } from "./password-reset";
import { PreviewProps as pointsEarnedPreview } from "./points-earned";
import { PreviewProps as pointsExpiringPreview } from "./points-expiring";
import { PreviewProps as invitationPreview } from "./staff-invitation";
import { PreviewProps as testPreview } from "./test-email";
import { PreviewProps as welcomePreview } from "./welcome";
import { PreviewProps as referralInvitePreview } from "./referral-invite";
import { PreviewProps as referralWelcomePreview } from "./referral-welcome";
import { PreviewProps as referralQualifiedPreview } from "./referral-qualified";
import { PreviewProps as referralDigestPreview } from "./referral-ancestor-digest";
import { PreviewProps as rewardIssuedPreview } from "./reward-issued";
import { PreviewProps as rewardVoidedPreview } from "./reward-voided";
import { PreviewProps as offerAnnouncementPreview } from "./offer-announcement";

const cases: Array<{ msg: EmailMessage; subject: string; link: string; says: string[] }> = [
  {
    msg: { template: "welcome", to: "ada@example.test", props: { ...welcomePreview, portalUrl: "https://rewards.test/p/sunrise?x=1&y=2" } },
    subject: "Welcome to Sunrise Coffee rewards",
    link: "https://rewards.test/p/sunrise?x=1&y=2",
    says: ["WELCOME, ADA!", "member of Sunrise Coffee rewards"],
  },
  {
    msg: { template: "password-reset", to: "ada@example.test", props: { ...passwordResetPreview, expiresInMinutes: 30 } },
    subject: "Reset your Perennial password",
    link: passwordResetPreview.resetUrl,
    says: ["Perennial account", "expires in 30 minutes"],
  },
  {
    msg: {
      template: "password-reset",
      to: "ada@example.test",
      props: { name: null, resetUrl: "https://rewards.test/p/sunrise/reset-password/tok", expiresInMinutes: 60, audience: "member", merchantName: "Sunrise Coffee" },
    },
    subject: "Reset your Sunrise Coffee rewards password",
    link: "https://rewards.test/p/sunrise/reset-password/tok",
    says: ["Sunrise Coffee rewards account"],
  },
  {
    msg: { template: "staff-invitation", to: "grace@example.test", props: invitationPreview },
    subject: "Grace Hopper invited you to Sunrise Coffee on Perennial",
    link: invitationPreview.acceptUrl,
    says: ["as an admin", "expires in 7 days"],
  },
  {
    msg: { template: "test", to: "grace@example.test", props: testPreview },
    subject: "Test e-mail from Sunrise Coffee on Perennial",
    link: testPreview.mailboxUrl,
    says: ["Grace Hopper asked for this test"],
  },
  {
    msg: { template: "points-earned", to: "ada@example.test", props: pointsEarnedPreview },
    subject: "You earned 142 points at Sunrise Coffee",
    link: pointsEarnedPreview.portalUrl,
    says: ["+42 points for order #1043", "+100 points · Happy birthday bonus", "100 points to spend and 42 points on the way", "after the 14-day return window"],
  },
  {
    msg: { template: "points-expiring", to: "ada@example.test", props: pointsExpiringPreview },
    subject: "142 points at Sunrise Coffee expire on Jan 6, 2027",
    link: pointsExpiringPreview.portalUrl,
    says: ["42 points on Jan 6, 2027", "100 points on Jan 20, 2027", "142 points to spend today"],
  },
  {
    msg: {
      template: "points-expiring",
      to: "ada@example.test",
      props: { ...pointsExpiringPreview, memberName: null, inactivity: true, expiries: [{ date: "Mar 1, 2027", points: 1 }], totalPoints: 1, available: 1 },
    },
    subject: "1 point at Sunrise Coffee expires on Mar 1, 2027",
    link: pointsExpiringPreview.portalUrl,
    says: ["Your 1 point at Sunrise Coffee expires on Mar 1, 2027", "Any purchase before then keeps it"],
  },
  {
    msg: { template: "reward-issued", to: "ada@example.test", props: rewardIssuedPreview },
    subject: "Your reward from Sunrise Coffee: $5 off",
    link: rewardIssuedPreview.portalUrl,
    says: ["Your code: K7QM-9XWR-TP4C", "$5.00 off your next order", "Use it by Jan 6, 2027"],
  },
  {
    msg: { template: "reward-voided", to: "ada@example.test", props: rewardVoidedPreview },
    subject: "We could not issue your $5 off reward",
    link: rewardVoidedPreview.portalUrl,
    says: ["The 500 points you spent are back in your account"],
  },
  {
    msg: { template: "referral-invite", to: "grace@example.test", props: referralInvitePreview },
    subject: "Ada invited you to Sunrise Coffee",
    link: referralInvitePreview.link,
    says: ["Their oat flat white is the best in town!", "Your welcome gift: 500 points on your first order."],
  },
  {
    msg: { template: "referral-welcome", to: "grace@example.test", props: referralWelcomePreview },
    subject: "Your welcome gift from Sunrise Coffee: 500 points",
    link: referralWelcomePreview.portalUrl,
    says: ["Thanks for joining through Ada", "available on Jan 6, 2027"],
  },
  {
    msg: { template: "referral-qualified", to: "ada@example.test", props: referralQualifiedPreview },
    subject: "Grace joined Sunrise Coffee: you earned 500 points",
    link: referralQualifiedPreview.portalUrl,
    says: ["Grace joined Sunrise Coffee and you earned 500 points."],
  },
  {
    msg: { template: "referral-qualified", to: "ada@example.test", props: { ...referralQualifiedPreview, reward: null, availableNote: null } },
    subject: "Grace joined Sunrise Coffee",
    link: referralQualifiedPreview.portalUrl,
    says: ["limit of referral rewards"],
  },
  {
    msg: { template: "referral-ancestor-digest", to: "ada@example.test", props: referralDigestPreview },
    subject: "Your network at Sunrise Coffee earned you 300 points",
    link: referralDigestPreview.portalUrl,
    says: ["3 more members joined through people you referred"],
  },
  {
    msg: { template: "offer-announcement", to: "ada@example.test", props: offerAnnouncementPreview },
    subject: "Sunrise Coffee: Double points on every order this week",
    link: offerAnnouncementPreview.offerUrl,
    says: ["ADA, AN OFFER JUST FOR YOU", "Ends Dec 31, 2026", "Unsubscribe from offer e-mails", offerAnnouncementPreview.unsubscribeUrl],
  },
];

describe("e-mail templates", () => {
  it.each(cases)("$msg.template renders subject, HTML and text with the link ($subject)", async ({ msg, subject, link, says }) => {
    const r = await renderEmail(msg);
    expect(r.subject).toBe(subject);
    expect(r.html).toMatch(/^<!DOCTYPE html/i);
    expect(r.html).toContain(`href="${link.replace(/&/g, "&amp;")}"`);
    expect(r.text).toContain(link);
    expect(r.text).not.toMatch(/<[a-z]/i);
    for (const s of says) expect(r.text).toContain(s);
  });

  it("escapes user-supplied text in the HTML", async () => {
    const r = await renderEmail({
      template: "welcome",
      to: "x@example.test",
      props: { memberName: "<img src=x onerror=alert(1)>", merchantName: "A & B", portalUrl: "https://rewards.test/p/ab" },
    });
    expect(r.html).not.toContain("<img src=x");
    expect(r.html).toContain("&lt;img src=x");
    expect(r.subject).toBe("Welcome to A & B rewards");
  });

  it("says 'day' for a one-day invitation", async () => {
    const r = await renderEmail({ template: "staff-invitation", to: "x@example.test", props: { ...invitationPreview, expiresInDays: 1 } });
    expect(r.text).toContain("expires in 1 day.");
  });
});
