import { Button, Heading, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

export interface PointsExpiringProps {
  memberName: string | null;
  merchantName: string;
  portalUrl: string;
  /** Points that expire in the period the e-mail covers, soonest first, dated in the merchant's time zone. */
  expiries: Array<{ date: string; points: number }>;
  totalPoints: number;
  /** Points the member can spend today. */
  available: number;
  /** Inactivity policy: "Any purchase keeps your points." instead of per-lot dates. */
  inactivity: boolean;
}

// One line of a list: the body text, tighter.
const line = { ...styles.text, margin: "0 0 6px" };

const points = (n: number) => `${n.toLocaleString("en-US")} ${n === 1 ? "point" : "points"}`;
const expire = (n: number) => (n === 1 ? "expires" : "expire");

export function subject(props: PointsExpiringProps): string {
  const first = props.expiries[0];
  return `${points(props.totalPoints)} at ${props.merchantName} ${expire(props.totalPoints)}${first ? ` on ${first.date}` : " soon"}`;
}

/** "Points expiring soon", sent about 30 days before points expire. */
export default function PointsExpiring({ memberName, merchantName, portalUrl, expiries, totalPoints, available, inactivity }: PointsExpiringProps) {
  const first = expiries[0];
  return (
    <Layout
      preview={`Use them before ${first?.date ?? "they expire"}`}
      footer={`You receive this reminder because you have points with ${merchantName} rewards that are about to expire.`}
    >
      <Heading style={styles.heading}>
        {memberName ? `${memberName}, your` : "Your"} points expire soon
      </Heading>
      {inactivity ? (
        <Text style={styles.text}>
          Your {points(totalPoints)} at {merchantName} {expire(totalPoints)} on {first?.date} because there has been no activity on your
          account for a while. Any purchase before then keeps {totalPoints === 1 ? "it" : "them"}.
        </Text>
      ) : (
        <>
          <Text style={styles.text}>
            {points(totalPoints)} of your {merchantName} points {expire(totalPoints)} soon:
          </Text>
          {expiries.map((e, i) => (
            <Text key={i} style={line}>
              {points(e.points)} on {e.date}
            </Text>
          ))}
        </>
      )}
      <Text style={{ ...styles.text, marginTop: "20px" }}>You have {points(available)} to spend today.</Text>
      <Button href={portalUrl} style={styles.button}>
        Use your points
      </Button>
      <Text style={styles.muted}>Or paste this link into your browser: {portalUrl}</Text>
    </Layout>
  );
}

export const PreviewProps: PointsExpiringProps = {
  memberName: "Ada",
  merchantName: "Sunrise Coffee",
  portalUrl: "http://localhost:3000/p/sunrise-coffee/points",
  expiries: [
    { date: "Jan 6, 2027", points: 42 },
    { date: "Jan 20, 2027", points: 100 },
  ],
  totalPoints: 142,
  available: 142,
  inactivity: false,
};
PointsExpiring.PreviewProps = PreviewProps;
