import { Button, Heading, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

export interface WelcomeProps {
  memberName: string | null;
  merchantName: string;
  portalUrl: string;
}

export function subject(props: WelcomeProps): string {
  return `Welcome to ${props.merchantName} rewards`;
}

export default function Welcome({ memberName, merchantName, portalUrl }: WelcomeProps) {
  return (
    <Layout preview={`You're in: start earning with ${merchantName}`} footer={`You receive this because you joined ${merchantName} rewards.`}>
      <Heading style={styles.heading}>Welcome{memberName ? `, ${memberName}` : ""}!</Heading>
      <Text style={styles.text}>
        You're now a member of {merchantName} rewards. Every purchase earns points you can turn into rewards, and
        friends you refer earn you more.
      </Text>
      <Button href={portalUrl} style={styles.button}>
        Open your rewards
      </Button>
      <Text style={styles.muted}>Or paste this link into your browser: {portalUrl}</Text>
    </Layout>
  );
}

export const PreviewProps: WelcomeProps = {
  memberName: "Ada",
  merchantName: "Sunrise Coffee",
  portalUrl: "http://localhost:3000/p/sunrise-coffee",
};
Welcome.PreviewProps = PreviewProps;
