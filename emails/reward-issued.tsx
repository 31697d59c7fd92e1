import { Button, Heading, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

export interface RewardIssuedProps {
  memberName: string | null;
  merchantName: string;
  portalUrl: string;
  rewardName: string;
  /** The code to use at checkout; null for gifts and store credit added to the customer's account. */
  code: string | null;
  /** What the reward gives, in plain words ("$5.00 off your next order"). */
  summary: string;
  /** "Use it by Jan 6, 2027" in the merchant's time zone, or null when it does not expire. */
  expiresNote: string | null;
}

export function subject(props: RewardIssuedProps): string {
  return `Your reward from ${props.merchantName}: ${props.rewardName}`;
}

/** Sent when a redeemed or granted reward is ready (its code issued, its credit added, or its gift on the way). */
export default function RewardIssued({ memberName, merchantName, portalUrl, rewardName, code, summary, expiresNote }: RewardIssuedProps) {
  return (
    <Layout preview={`${rewardName} is ready`} footer={`You receive this e-mail because you redeemed or received a reward from ${merchantName} rewards.`}>
      <Heading style={styles.heading}>{memberName ? `${memberName}, your` : "Your"} reward is ready</Heading>
      <Text style={styles.text}>
        {rewardName}: {summary}.
      </Text>
      {code ? (
        <Text style={{ ...styles.text, fontSize: "22px", fontWeight: 700, letterSpacing: "2px" }}>Your code: {code}</Text>
      ) : null}
      {expiresNote ? <Text style={styles.text}>{expiresNote}.</Text> : null}
      <Button href={portalUrl} style={styles.button}>
        See my rewards
      </Button>
      <Text style={styles.muted}>Or paste this link into your browser: {portalUrl}</Text>
    </Layout>
  );
}

export const PreviewProps: RewardIssuedProps = {
  memberName: "Ada",
  merchantName: "Sunrise Coffee",
  portalUrl: "http://localhost:3000/p/sunrise-coffee/rewards/mine",
  rewardName: "$5 off",
  code: "K7QM-9XWR-TP4C",
  summary: "$5.00 off your next order",
  expiresNote: "Use it by Jan 6, 2027",
};
RewardIssued.PreviewProps = PreviewProps;
