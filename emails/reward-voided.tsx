import { Button, Heading, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

export interface RewardVoidedProps {
  memberName: string | null;
  merchantName: string;
  portalUrl: string;
  rewardName: string;
  /** Points given back (0 for a reward that cost nothing). */
  pointsReturned: number;
}

export function subject(props: RewardVoidedProps): string {
  return `We could not issue your ${props.rewardName} reward`;
}

/** Sent when a reward could not be created at the payment provider: the redemption is void and the points are back. */
export default function RewardVoided({ memberName, merchantName, portalUrl, rewardName, pointsReturned }: RewardVoidedProps) {
  return (
    <Layout preview={`${rewardName} could not be issued`} footer={`You receive this e-mail because you redeemed a reward from ${merchantName} rewards.`}>
      <Heading style={styles.heading}>{memberName ? `Sorry, ${memberName}` : "Sorry"}</Heading>
      <Text style={styles.text}>
        We could not issue your reward “{rewardName}”.
        {pointsReturned > 0 ? ` The ${pointsReturned.toLocaleString("en-US")} points you spent are back in your account.` : ""} You can try again or choose another
        reward.
      </Text>
      <Button href={portalUrl} style={styles.button}>
        See rewards
      </Button>
      <Text style={styles.muted}>Or paste this link into your browser: {portalUrl}</Text>
    </Layout>
  );
}

export const PreviewProps: RewardVoidedProps = {
  memberName: "Ada",
  merchantName: "Sunrise Coffee",
  portalUrl: "http://localhost:3000/p/sunrise-coffee/rewards",
  rewardName: "$5 off",
  pointsReturned: 500,
};
RewardVoided.PreviewProps = PreviewProps;
