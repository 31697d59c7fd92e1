import { Link } from "@remix-run/react";
import { Alert, AuthPanel } from "~/components/ui";
import { PerennialMark } from "./brand";

/** What an invitation link shows when it no longer works (malformed, used, revoked or expired). */
export function InvalidInvitation() {
  return (
    <AuthPanel logo={<PerennialMark />} title="Invitation">
      <Alert tone="error" title="This invitation does not work">
        It is invalid, already used, revoked or expired (invitations last 7 days). Ask the person who invited you for a new one.
      </Alert>
      <p className="mt-4 text-sm">
        <Link to="/login" className="text-brand-600 underline">
          Go to log in
        </Link>
      </p>
    </AuthPanel>
  );
}
