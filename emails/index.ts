import { render } from "@react-email/render";
import { createElement, type ReactElement } from "react";
import PasswordReset, { subject as passwordResetSubject, type PasswordResetProps } from "./password-reset";
import PointsEarned, { subject as pointsEarnedSubject, type PointsEarnedProps } from "./points-earned";
import PointsExpiring, { subject as pointsExpiringSubject, type PointsExpiringProps } from "./points-expiring";
import TestEmail, { subject as testEmailSubject, type TestEmailProps } from "./test-email";
import StaffInvitation, { subject as staffInvitationSubject, type StaffInvitationProps } from "./staff-invitation";
import Welcome, { subject as welcomeSubject, type WelcomeProps } from "./welcome";

/** Every e-mail Perennial sends. The outbox renders one of these at enqueue time and stores the result. */
export type EmailMessage =
  | { template: "welcome"; to: string; props: WelcomeProps }
  | { template: "password-reset"; to: string; props: PasswordResetProps }
  | { template: "staff-invitation"; to: string; props: StaffInvitationProps }
  | { template: "test"; to: string; props: TestEmailProps }
  | { template: "points-earned"; to: string; props: PointsEarnedProps }
  | { template: "points-expiring"; to: string; props: PointsExpiringProps };

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
  }
}

/** Renders a message to subject, HTML and a plain-text alternative. */
export async function renderEmail(msg: EmailMessage): Promise<RenderedEmail> {
  const { subject, node } = element(msg);
  const [html, text] = await Promise.all([render(node), render(node, { plainText: true })]);
  return { subject, html, text };
}
