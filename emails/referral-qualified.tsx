import { Button, Heading, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

export interface ReferralQualifiedProps {
  memberName: string | null;
  merchantName: string;
  /** The friend's first name or "Your friend" (never their e-mail). */
  friendName: string;
  /** The referrer's reward in plain words ("500 points"), or null when a cap was reached. */
  reward: string | null;
  availableNote: string | null;
  portalUrl: string;
}

export function subject(props: ReferralQualifiedProps): string {
  return props.reward ? `${props.friendName} joined ${props.merchantName}: you earned ${props.reward}` : `${props.friendName} joined ${props.merchantName}`;
}

/** Sent to the direct referrer, once per referral that qualifies. */
export default function ReferralQualified({ memberName, merchantName, friendName, reward, availableNote, portalUrl }: ReferralQualifiedProps) {
  return (
    <Layout preview={`${friendName} qualified for your referral reward`} footer={`You receive this e-mail because you referred a friend to ${merchantName} rewards.`}>
      <Heading style={styles.heading}>{memberName ? `${memberName}, thank you` : "Thank you"} for the referral</Heading>
      <Text style={styles.text}>
        {friendName} joined {merchantName}
        {reward ? ` and you earned ${reward}` : ""}.
      </Text>
      {!reward ? <Text style={styles.text}>You have reached this program's limit of referral rewards for now.</Text> : null}
      {availableNote ? <Text style={styles.text}>{availableNote}.</Text> : null}
      <Button href={portalUrl} style={styles.button}>
        See my referrals
      </Button>
      <Text style={styles.muted}>Or paste this link into your browser: {portalUrl}</Text>
    </Layout>
  );
}

export const PreviewProps: ReferralQualifiedProps = {
  memberName: "Ada",
  merchantName: "Sunrise Coffee",
  friendName: "Grace",
  reward: "500 points",
  availableNote: "Your points become available on Jan 6, 2027",
  portalUrl: "http://localhost:3000/p/sunrise-coffee/referrals",
};
ReferralQualified.PreviewProps = PreviewProps;
