import { Button, Heading, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

export interface ReferralAncestorDigestProps {
  memberName: string | null;
  merchantName: string;
  /** How many members further down your network qualified since the last digest. */
  qualified: number;
  /** Points credited for them, in total. */
  points: number;
  portalUrl: string;
}

export function subject(props: ReferralAncestorDigestProps): string {
  return `Your network at ${props.merchantName} earned you ${props.points.toLocaleString("en-US")} points`;
}

/** Periodic digest for members credited for referrals further down their network (level 2 and beyond). */
export default function ReferralAncestorDigest({ memberName, merchantName, qualified, points, portalUrl }: ReferralAncestorDigestProps) {
  return (
    <Layout preview={`${qualified} new members in your network`} footer={`You receive this e-mail because members you brought to ${merchantName} rewards referred friends of their own.`}>
      <Heading style={styles.heading}>{memberName ? `${memberName}, your` : "Your"} network is growing</Heading>
      <Text style={styles.text}>
        {qualified === 1 ? "One more member" : `${qualified} more members`} joined through people you referred, which earned you{" "}
        {points.toLocaleString("en-US")} points.
      </Text>
      <Button href={portalUrl} style={styles.button}>
        See my network
      </Button>
      <Text style={styles.muted}>Or paste this link into your browser: {portalUrl}</Text>
    </Layout>
  );
}

export const PreviewProps: ReferralAncestorDigestProps = {
  memberName: "Ada",
  merchantName: "Sunrise Coffee",
  qualified: 3,
  points: 300,
  portalUrl: "http://localhost:3000/p/sunrise-coffee/referrals",
};
ReferralAncestorDigest.PreviewProps = PreviewProps;
