import { Alert } from "~/components/ui";
import { SecretOnce } from "~/components/ui/api-keys";

/** The token of a key just created, shown this once: only a hash of it is stored. */
export function NewApiKeyAlert({ name, token }: { name: string; token: string }) {
  return (
    <Alert tone="warning" title={`Copy the key “${name}” now`}>
      <p className="mb-3">This is the only time it is shown. Perennial stores only a hash of it; if you lose it, revoke it and create a new one.</p>
      <SecretOnce label="API key" value={token} />
    </Alert>
  );
}
