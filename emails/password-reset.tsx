import { Button, Heading, Text } from "@react-email/components";
import { Layout, styles } from "./components/layout";

export interface PasswordResetProps {
  name: string | null;
  resetUrl: string;
  expiresInMinutes: number;
  audience: "member" | "staff";
  merchantName: string | null;
}

export function subject(props: PasswordResetProps): string {
  return props.audience === "member" && props.merchantName
    ? `Reset your ${props.merchantName} rewards password`
    : "Reset your Perennial password";
}

export default function PasswordReset({ name, resetUrl, expiresInMinutes, audience, merchantName }: PasswordResetProps) {
  const account = audience === "member" && merchantName ? `${merchantName} rewards account` : "Perennial account";
  return (
    <Layout
      preview={`Reset your password (link valid for ${expiresInMinutes} minutes)`}
      footer="If you did not ask to reset your password, ignore this e-mail: your password stays the same."
    >
      <Heading style={styles.heading}>Reset your password</Heading>
      <Text style={styles.text}>
        {name ? `Hi ${name}, someone` : "Someone"} asked to reset the password of your {account}. Choose a new one
        with the button below. The link works once and expires in {expiresInMinutes} minutes.
      </Text>
      <Button href={resetUrl} style={styles.button}>
        Choose a new password
      </Button>
      <Text style={styles.muted}>Or paste this link into your browser: {resetUrl}</Text>
    </Layout>
  );
}

export const PreviewProps: PasswordResetProps = {
  name: "Ada",
  resetUrl: "http://localhost:3000/reset-password/example-token",
  expiresInMinutes: 60,
  audience: "staff",
  merchantName: null,
};
PasswordReset.PreviewProps = PreviewProps;
