import { Button, Heading, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

export interface StaffInvitationProps {
  inviterName: string;
  merchantName: string;
  role: "owner" | "admin" | "analyst";
  acceptUrl: string;
  expiresInDays: number;
}

const ROLE_LABEL: Record<StaffInvitationProps["role"], string> = {
  owner: "an owner",
  admin: "an admin",
  analyst: "an analyst",
};

export function subject(props: StaffInvitationProps): string {
  return `${props.inviterName} invited you to ${props.merchantName} on Perennial`;
}

export default function StaffInvitation({ inviterName, merchantName, role, acceptUrl, expiresInDays }: StaffInvitationProps) {
  return (
    <Layout
      preview={`Join ${merchantName} on Perennial`}
      footer="If you were not expecting this invitation, ignore this e-mail."
    >
      <Heading style={styles.heading}>Join {merchantName} on Perennial</Heading>
      <Text style={styles.text}>
        {inviterName} invited you to help run the {merchantName} loyalty program as {ROLE_LABEL[role]}. The invitation
        expires in {expiresInDays} {expiresInDays === 1 ? "day" : "days"}.
      </Text>
      <Button href={acceptUrl} style={styles.button}>
        Accept the invitation
      </Button>
      <Text style={styles.muted}>Or paste this link into your browser: {acceptUrl}</Text>
    </Layout>
  );
}

export const PreviewProps: StaffInvitationProps = {
  inviterName: "Grace Hopper",
  merchantName: "Sunrise Coffee",
  role: "admin",
  acceptUrl: "http://localhost:3000/invite/example-token",
  expiresInDays: 7,
};
StaffInvitation.PreviewProps = PreviewProps;
