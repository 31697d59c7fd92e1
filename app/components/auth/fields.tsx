import type { FieldMetadata } from "@conform-to/react";
import { TextField } from "~/components/ui";
import { NEW_PASSWORD_HINT } from "./password-hint";

/** The account fields the staff and member auth pages share, each wired to a Conform field. */

type Field = FieldMetadata<string | undefined>;

/**
 * A `TextField` bound to `field`. With `prefill`, it starts from the field's initial value and is keyed so a form
 * reset remounts it; password fields go without (the replies hide them, so there is nothing to prefill).
 */
function ConformTextField({
  field,
  prefill = false,
  ...input
}: { field: Field; prefill?: boolean } & Omit<React.ComponentProps<typeof TextField>, "id" | "name" | "errors" | "defaultValue">) {
  return (
    <TextField
      key={prefill ? field.key : undefined}
      id={field.id}
      name={field.name}
      defaultValue={prefill ? field.initialValue : undefined}
      errors={field.errors}
      {...input}
    />
  );
}

/** `autofill={false}` for someone else's address (an invitation), so the browser does not offer the user's own. */
export function EmailField({ field, label = "E-mail", autofill = true }: { field: Field; label?: string; autofill?: boolean }) {
  return <ConformTextField field={field} prefill label={label} type="email" autoComplete={autofill ? "email" : undefined} required />;
}

export function CurrentPasswordField({ field, label = "Password" }: { field: Field; label?: string }) {
  return <ConformTextField field={field} label={label} type="password" autoComplete="current-password" required />;
}

/** A password being chosen, with the password rules as its hint. */
export function NewPasswordField({ field, label = "Password" }: { field: Field; label?: string }) {
  return <ConformTextField field={field} label={label} hint={NEW_PASSWORD_HINT} type="password" autoComplete="new-password" required />;
}

/** "New password" and "Confirm new password": resetting or changing a password. */
export function NewPasswordFields({ password, confirm }: { password: Field; confirm: Field }) {
  return (
    <>
      <NewPasswordField field={password} label="New password" />
      <ConformTextField field={confirm} label="Confirm new password" type="password" autoComplete="new-password" required />
    </>
  );
}

export function PersonNameField({ field, label = "Name" }: { field: Field; label?: string }) {
  return <ConformTextField field={field} prefill label={label} autoComplete="name" required />;
}

export function BirthdayField({ field, hint }: { field: Field; hint?: string }) {
  return <ConformTextField field={field} prefill label="Birthday (optional)" type="date" autoComplete="bday" hint={hint} />;
}
