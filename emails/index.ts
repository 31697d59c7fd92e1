import { render } from "@react-email/render";
import { createElement, type ReactElement } from "react";
import PasswordReset, { subject as passwordResetSubject, type PasswordResetProps } from "./password-reset";
import PointsEarned, { subject as pointsEarnedSubject, type PointsEarnedProps } from "./points-earned";
import PointsExpiring, { subject as pointsExpiringSubject, type PointsExpiringProps } from "./points-expiring";
import TestEmail, { subject as testEmailSubject, type TestEmailProps } from "./test-email";
import StaffInvitation, { subject as staffInvitationSubject, type StaffInvitationProps } from "./staff-invitation";
import Welcome, { subject as welcomeSubject, type WelcomeProps } from "./welcome";
import RewardIssued, { subject as rewardIssuedSubject, type RewardIssuedProps } from "./reward-issued";
import RewardVoided, { subject as rewardVoidedSubject, type RewardVoidedProps } from "./reward-voided";
import TierReached, { subject as tierReachedSubject, type TierReachedProps } from "./tier-reached";
import TierAtRisk, { subject as tierAtRiskSubject, type TierAtRiskProps } from "./tier-at-risk";
import ReferralInvite, { subject as referralInviteSubject, type ReferralInviteProps } from "./referral-invite";
import ReferralWelcome, { subject as referralWelcomeSubject, type ReferralWelcomeProps } from "./referral-welcome";
import ReferralQualified, { subject as referralQualifiedSubject, type ReferralQualifiedProps } from "./referral-qualified";
import ReferralAncestorDigest, { subject as referralAncestorDigestSubject, type ReferralAncestorDigestProps } from "./referral-ancestor-digest";
import OfferAnnouncement, { subject as offerAnnouncementSubject, type OfferAnnouncementProps } from "./offer-announcement";

/** Every e-mail Perennial sends. The outbox renders one of these at enqueue time and stores the result. */
export type EmailMessage =
  | { template: "welcome"; to: string; props: WelcomeProps }
  | { template: "password-reset"; to: string; props: PasswordResetProps }
  | { template: "staff-invitation"; to: string; props: StaffInvitationProps }
  | { template: "test"; to: string; props: TestEmailProps }
  | { template: "points-earned"; to: string; props: PointsEarnedProps }
  | { template: "points-expiring"; to: string; props: PointsExpiringProps }
  | { template: "reward-issued"; to: string; props: RewardIssuedProps }
  | { template: "reward-voided"; to: string; props: RewardVoidedProps }
  | { template: "tier-reached"; to: string; props: TierReachedProps }
  | { template: "tier-at-risk"; to: string; props: TierAtRiskProps }
  | { template: "referral-invite"; to: string; props: ReferralInviteProps }
  | { template: "referral-welcome"; to: string; props: ReferralWelcomeProps }
  | { template: "referral-qualified"; to: string; props: ReferralQualifiedProps }
  | { template: "referral-ancestor-digest"; to: string; props: ReferralAncestorDigestProps }
  | { template: "offer-announcement"; to: string; props: OfferAnnouncementProps };

export type EmailTemplate = EmailMessage["template"];

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

function element(msg: EmailMessage): { subject: string; node: ReactElement } {
  switch (msg.template) {
    case "welcome":
      return { subject: welcomeSubject(msg.props), node: createElement(Welcome, msg.props) };
    case "password-reset":
      return { subject: passwordResetSubject(msg.props), node: createElement(PasswordReset, msg.props) };
    case "staff-invitation":
      return { subject: staffInvitationSubject(msg.props), node: createElement(StaffInvitation, msg.props) };
    case "test":
      return { subject: testEmailSubject(msg.props), node: createElement(TestEmail, msg.props) };
    case "points-earned":
      return { subject: pointsEarnedSubject(msg.props), node: createElement(PointsEarned, msg.props) };
    case "points-expiring":
      return { subject: pointsExpiringSubject(msg.props), node: createElement(PointsExpiring, msg.props) };
    case "reward-issued":
      return { subject: rewardIssuedSubject(msg.props), node: createElement(RewardIssued, msg.props) };
    case "reward-voided":
      return { subject: rewardVoidedSubject(msg.props), node: createElement(RewardVoided, msg.props) };
    case "tier-reached":
      return { subject: tierReachedSubject(msg.props), node: createElement(TierReached, msg.props) };
    case "tier-at-risk":
      return { subject: tierAtRiskSubject(msg.props), node: createElement(TierAtRisk, msg.props) };
    case "referral-invite":
      return { subject: referralInviteSubject(msg.props), node: createElement(ReferralInvite, msg.props) };
    case "referral-welcome":
      return { subject: referralWelcomeSubject(msg.props), node: createElement(ReferralWelcome, msg.props) };
    case "referral-qualified":
      return { subject: referralQualifiedSubject(msg.props), node: createElement(ReferralQualified, msg.props) };
    case "referral-ancestor-digest":
      return { subject: referralAncestorDigestSubject(msg.props), node: createElement(ReferralAncestorDigest, msg.props) };
    case "offer-announcement":
      return { subject: offerAnnouncementSubject(msg.props), node: createElement(OfferAnnouncement, msg.props) };
  }
}

/** Renders a message to subject, HTML and a plain-text alternative. */
export async function renderEmail(msg: EmailMessage): Promise<RenderedEmail> {
  const { subject, node } = element(msg);
  const [html, text] = await Promise.all([render(node), render(node, { plainText: true })]);
  return { subject, html, text };
}
