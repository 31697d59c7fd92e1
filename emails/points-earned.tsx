import { Button, Heading, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

export interface PointsEarnedProps {
  memberName: string | null;
  merchantName: string;
  portalUrl: string;
  /** Points earned since the member's previous digest. */
  totalPoints: number;
  /** Newest first, already in plain words and dated in the merchant's time zone. */
  lines: Array<{ date: string; text: string }>;
  /** Earnings not listed (the e-mail shows the latest few). */
  moreCount: number;
  available: number;
  pending: number;
  /** When pending points become available, e.g. "They become available on Dec 20, after the 14-day return window." */
  pendingNote: string | null;
}

// One line of a list: the body text, tighter.
const line = { ...styles.text, margin: "0 0 6px" };

const points = (n: number) => `${n.toLocaleString("en-US")} ${n === 1 ? "point" : "points"}`;

export function subject(props: PointsEarnedProps): string {
  return `You earned ${points(props.totalPoints)} at ${props.merchantName}`;
}

/** The points digest: one e-mail summing up what a member earned since the last one (never one per order). */
export default function PointsEarned({ memberName, merchantName, portalUrl, totalPoints, lines, moreCount, available, pending, pendingNote }: PointsEarnedProps) {
  return (
    <Layout
      preview={`+${points(totalPoints)} with ${merchantName} rewards`}
      footer={`You receive this summary because you are a member of ${merchantName} rewards and earned points recently.`}
    >
      <Heading style={styles.heading}>
        {memberName ? `${memberName}, you` : "You"} earned {points(totalPoints)}
      </Heading>
      <Text style={styles.text}>Here is what you earned at {merchantName} since our last summary:</Text>
      {lines.map((l, i) => (
        <Text key={i} style={line}>
          {l.date} · {l.text}
        </Text>
      ))}
      {moreCount > 0 ? <Text style={line}>…and {moreCount.toLocaleString("en-US")} more.</Text> : null}
      <Text style={{ ...styles.text, marginTop: "20px" }}>
        You now have {points(available)} to spend{pending > 0 ? ` and ${points(pending)} on the way` : ""}.
        {pendingNote ? ` ${pendingNote}` : ""}
      </Text>
      <Button href={portalUrl} style={styles.button}>
        See your points
      </Button>
      <Text style={styles.muted}>Or paste this link into your browser: {portalUrl}</Text>
    </Layout>
  );
}

export const PreviewProps: PointsEarnedProps = {
  memberName: "Ada",
  merchantName: "Sunrise Coffee",
  portalUrl: "http://localhost:3000/p/sunrise-coffee/points",
  totalPoints: 142,
  lines: [
    { date: "Dec 6", text: "+42 points for order #1043" },
    { date: "Dec 5", text: "+100 points · Happy birthday bonus" },
  ],
  moreCount: 0,
  available: 100,
  pending: 42,
  pendingNote: "They become available on Dec 20, after the 14-day return window.",
};
PointsEarned.PreviewProps = PreviewProps;
