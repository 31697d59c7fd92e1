import { Button, Heading, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

export interface ReferralWelcomeProps {
  memberName: string | null;
  merchantName: string;
  referrerName: string | null;
  /** The welcome reward in plain words ("500 points"). */
  reward: string;
  /** "Your points become available on Jan 6, 2027" (hold period), or null when they are available now. */
  availableNote: string | null;
  portalUrl: string;
}

export function subject(props: ReferralWelcomeProps): string {
  return `Your welcome gift from ${props.merchantName}: ${props.reward}`;
}

/** Sent to a referred friend once they qualify for the welcome reward. */
export default function ReferralWelcome({ memberName, merchantName, referrerName, reward, availableNote, portalUrl }: ReferralWelcomeProps) {
  return (
    <Layout preview={`${reward} for joining through ${referrerName ?? "a friend"}`} footer={`You receive this e-mail because you joined ${merchantName} rewards through a friend's invitation.`}>
      <Heading style={styles.heading}>{memberName ? `Welcome, ${memberName}!` : "Welcome!"}</Heading>
      <Text style={styles.text}>
        Thanks for joining through {referrerName ?? "a friend"}. Your welcome gift: {reward}.
      </Text>
      {availableNote ? <Text style={styles.text}>{availableNote}.</Text> : null}
      <Button href={portalUrl} style={styles.button}>
        See my rewards
      </Button>
      <Text style={styles.muted}>Or paste this link into your browser: {portalUrl}</Text>
    </Layout>
  );
}

export const PreviewProps: ReferralWelcomeProps = {
  memberName: "Grace",
  merchantName: "Sunrise Coffee",
  referrerName: "Ada",
  reward: "500 points",
  availableNote: "Your points become available on Jan 6, 2027",
  portalUrl: "http://localhost:3000/p/sunrise-coffee",
};
ReferralWelcome.PreviewProps = PreviewProps;
