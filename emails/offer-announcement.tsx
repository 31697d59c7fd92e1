import { Button, Heading, Img, Link, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

export interface OfferAnnouncementProps {
  memberName: string | null;
  merchantName: string;
  title: string;
  description: string;
  imageUrl: string | null;
  /** "Ends Dec 31, 2026", in the merchant's time zone. */
  endsOn: string;
  offerUrl: string;
  unsubscribeUrl: string;
}

export function subject(props: OfferAnnouncementProps): string {
  return `${props.merchantName}: ${props.title}`;
}

/** An exclusive offer, sent to the treated members of its segment (never to the held-out ones). */
export default function OfferAnnouncement({ memberName, merchantName, title, description, imageUrl, endsOn, offerUrl, unsubscribeUrl }: OfferAnnouncementProps) {
  return (
    <Layout
      preview={`An offer for you: ${title}`}
      footer={`You receive offers as a member of ${merchantName} rewards. Unsubscribe from offer e-mails: ${unsubscribeUrl}`}
    >
      {imageUrl ? <Img src={imageUrl} alt="" width="496" style={{ borderRadius: "6px", margin: "0 0 20px", maxWidth: "100%" }} /> : null}
      <Heading style={styles.heading}>{memberName ? `${memberName}, an offer just for you` : "An offer just for you"}</Heading>
      <Text style={{ ...styles.text, fontWeight: 600 }}>{title}</Text>
      {description ? <Text style={styles.text}>{description}</Text> : null}
      <Text style={styles.text}>{endsOn}.</Text>
      <Button href={offerUrl} style={styles.button}>
        See the offer
      </Button>
      <Text style={styles.muted}>Or paste this link into your browser: {offerUrl}</Text>
      <Text style={styles.muted}>
        <Link href={unsubscribeUrl}>Unsubscribe from offer e-mails</Link>
      </Text>
    </Layout>
  );
}

export const PreviewProps: OfferAnnouncementProps = {
  memberName: "Ada",
  merchantName: "Sunrise Coffee",
  title: "Double points on every order this week",
  description: "Claim it and every order earns twice the points for 7 days.",
  imageUrl: null,
  endsOn: "Ends Dec 31, 2026",
  offerUrl: "http://localhost:3000/p/sunrise-coffee/offers/ofr_preview",
  unsubscribeUrl: "http://localhost:3000/p/sunrise-coffee/offers/unsubscribe/preview",
};
OfferAnnouncement.PreviewProps = PreviewProps;
