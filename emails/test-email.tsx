import { Heading, Link, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

/** Sent from Settings → E-mail to check that delivery works end to end. */
export interface TestEmailProps {
  merchantName: string;
  requestedBy: string;
  mailboxUrl: string;
}

export function subject(props: TestEmailProps): string {
  return `Test e-mail from ${props.merchantName} on Perennial`;
}

export default function TestEmail({ merchantName, requestedBy, mailboxUrl }: TestEmailProps) {
  return (
    <Layout preview="E-mail delivery works" footer={`${requestedBy} asked for this test in the ${merchantName} e-mail settings.`}>
      <Heading style={styles.heading}>E-mail delivery works</Heading>
      <Text style={styles.text}>
        If you are reading this, Perennial can send e-mail for {merchantName}: welcome messages, password resets and
        invitations will arrive the same way.
      </Text>
      <Text style={styles.muted}>
        Every e-mail sent for {merchantName} is listed in the Mailbox: <Link href={mailboxUrl}>{mailboxUrl}</Link>
      </Text>
    </Layout>
  );
}

export const PreviewProps: TestEmailProps = {
  merchantName: "Sunrise Coffee",
  requestedBy: "Grace Hopper",
  mailboxUrl: "http://localhost:3000/admin/sunrise-coffee/mailbox",
};
TestEmail.PreviewProps = PreviewProps;
