import { Button, Heading, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

export interface TierAtRiskProps {
  memberName: string | null;
  merchantName: string;
  tierName: string;
  /** The tier they will move to, or null when they will have none. */
  toTierName: string | null;
  /** The date of the change, in the merchant's time zone ("Jan 1, 2027"). */
  downgradeOn: string;
  /** What is still missing to keep the tier ("$38.00", "1,200 points"). */
  missing: string;
  basis: "points" | "spend";
  portalUrl: string;
}

export function subject(props: TierAtRiskProps): string {
  return `Keep your ${props.tierName} status at ${props.merchantName}`;
}

/** Sent once per period, 30 days before a member who no longer qualifies moves down. */
export default function TierAtRisk({ memberName, merchantName, tierName, toTierName, downgradeOn, missing, basis, portalUrl }: TierAtRiskProps) {
  return (
    <Layout preview={`${basis === "spend" ? "Spend" : "Earn"} ${missing} more to keep ${tierName}`} footer={`You receive this reminder because you are a member of ${merchantName} rewards.`}>
      <Heading style={styles.heading}>{memberName ? `${memberName}, keep` : "Keep"} your {tierName} status</Heading>
      <Text style={styles.text}>
        On {downgradeOn} your tier at {merchantName} changes from {tierName} to {toTierName ?? "the standard membership"}.{" "}
        {basis === "spend" ? "Spend" : "Earn"} {missing} more before then to keep {tierName}.
      </Text>
      <Button href={portalUrl} style={styles.button}>
        See your progress
      </Button>
      <Text style={styles.muted}>Or paste this link into your browser: {portalUrl}</Text>
    </Layout>
  );
}

export const PreviewProps: TierAtRiskProps = {
  memberName: "Ada",
  merchantName: "Sunrise Coffee",
  tierName: "Reserve",
  toTierName: "Roast",
  downgradeOn: "Jan 1, 2027",
  missing: "$38.00",
  basis: "spend",
  portalUrl: "http://localhost:3000/p/sunrise-coffee/tier",
};
TierAtRisk.PreviewProps = PreviewProps;
