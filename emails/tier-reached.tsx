import { Button, Heading, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

export interface TierReachedProps {
  memberName: string | null;
  merchantName: string;
  tierName: string;
  /** Free-text perks as the merchant wrote them (one per line). */
  perks: string;
  /** Earning multiplier in percent (100 = none). */
  earningPercent: number;
  birthdayBonus: number;
  portalUrl: string;
}

const line = { ...styles.text, margin: "0 0 6px" };

export function subject(props: TierReachedProps): string {
  return `Welcome to ${props.tierName} at ${props.merchantName}`;
}

/** Sent when a member reaches a higher tier (by qualifying, or pinned there by staff). */
export default function TierReached({ memberName, merchantName, tierName, perks, earningPercent, birthdayBonus, portalUrl }: TierReachedProps) {
  const lines = [
    ...(earningPercent > 100 ? [`${earningPercent / 100}× points on every purchase`] : []),
    ...(birthdayBonus > 0 ? [`${birthdayBonus.toLocaleString("en-US")} extra points on your birthday`] : []),
    ...perks.split("\n").map((p) => p.trim()).filter(Boolean),
  ];
  return (
    <Layout preview={`You are now ${tierName}`} footer={`You receive this e-mail because you are a member of ${merchantName} rewards.`}>
      <Heading style={styles.heading}>
        {memberName ? `${memberName}, you` : "You"} reached {tierName}
      </Heading>
      <Text style={styles.text}>Thank you for being a regular at {merchantName}. Your {tierName} benefits start today:</Text>
      {lines.map((l, i) => (
        <Text key={i} style={line}>
          • {l}
        </Text>
      ))}
      <Button href={portalUrl} style={styles.button}>
        See your benefits
      </Button>
      <Text style={styles.muted}>Or paste this link into your browser: {portalUrl}</Text>
    </Layout>
  );
}

export const PreviewProps: TierReachedProps = {
  memberName: "Ada",
  merchantName: "Sunrise Coffee",
  tierName: "Roast",
  perks: "Free oat milk\nEarly access to seasonal beans",
  earningPercent: 150,
  birthdayBonus: 200,
  portalUrl: "http://localhost:3000/p/sunrise-coffee/tier",
};
TierReached.PreviewProps = PreviewProps;
