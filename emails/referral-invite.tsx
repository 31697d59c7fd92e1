import { Button, Heading, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

export interface ReferralInviteProps {
  /** The inviting member's name as they chose to show it (or null: "A friend"). */
  fromName: string | null;
  merchantName: string;
  /** The member's personal note, as typed (plain text). */
  note: string | null;
  /** What the friend gets, in plain words ("500 points when you sign up"); null when the program gives nothing. */
  offer: string | null;
  link: string;
}

export function subject(props: ReferralInviteProps): string {
  return `${props.fromName ?? "A friend"} invited you to ${props.merchantName}`;
}

/** Sent on a member's behalf from the portal's "Refer a friend" page. */
export default function ReferralInvite({ fromName, merchantName, note, offer, link }: ReferralInviteProps) {
  return (
    <Layout preview={`${fromName ?? "A friend"} thinks you'll like ${merchantName}`} footer={`${fromName ?? "A member"} of ${merchantName} rewards asked us to send you this invitation. We will not e-mail you again unless you sign up.`}>
      <Heading style={styles.heading}>{fromName ?? "A friend"} invited you to {merchantName}</Heading>
      {note ? <Text style={{ ...styles.text, fontStyle: "italic" }}>“{note}”</Text> : null}
      {offer ? <Text style={styles.text}>Your welcome gift: {offer}.</Text> : null}
      <Button href={link} style={styles.button}>
        Accept the invitation
      </Button>
      <Text style={styles.muted}>Or paste this link into your browser: {link}</Text>
    </Layout>
  );
}

export const PreviewProps: ReferralInviteProps = {
  fromName: "Ada",
  merchantName: "Sunrise Coffee",
  note: "Their oat flat white is the best in town!",
  offer: "500 points on your first order",
  link: "http://localhost:3000/r/K7QM9XW",
};
ReferralInvite.PreviewProps = PreviewProps;
