import { useId } from "react";
import { cx } from "./cx";

const control =
  "block w-full rounded-md border bg-white px-3 py-2 text-sm text-stone-900 shadow-sm placeholder:text-stone-500 focus:outline-2 focus:outline-offset-0 focus:outline-brand-500 disabled:bg-stone-100";

interface FieldShell {
  label: string;
  errors?: string[] | null;
  hint?: React.ReactNode;
  className?: string;
}

/** A labelled control with its hint and errors wired up for screen readers (aria-invalid, aria-describedby). */
function Shell({ label, errors, hint, className, id, children }: FieldShell & { id: string; children: React.ReactNode }) {
  return (
    <div className={cx("space-y-1", className)}>
      <label htmlFor={id} className="block text-sm font-medium text-stone-800">
        {label}
      </label>
      {children}
      {hint ? (
        <p id={`${id}-hint`} className="text-xs text-stone-500">
          {hint}
        </p>
      ) : null}
      {errors?.length ? (
        <div id={`${id}-error`} className="text-sm text-red-700" role="alert">
          <ul>
            {errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}

function describedBy(id: string, hint: unknown, errors?: string[] | null) {
  return [hint ? `${id}-hint` : null, errors?.length ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
}

export function TextField({
  label,
  errors,
  hint,
  className,
  id: idProp,
  ...input
}: FieldShell & React.InputHTMLAttributes<HTMLInputElement>) {
  const generated = useId();
  const id = idProp ?? generated;
  const invalid = Boolean(errors?.length);
  return (
    <Shell label={label} errors={errors} hint={hint} className={className} id={id}>
      <input
        id={id}
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy(id, hint, errors)}
        className={cx(control, invalid ? "border-red-600" : "border-stone-300")}
        {...input}
      />
    </Shell>
  );
}

export function SelectField({
  label,
  errors,
  hint,
  className,
  id: idProp,
  options,
  ...select
}: FieldShell & React.SelectHTMLAttributes<HTMLSelectElement> & { options: Array<{ value: string; label: string }> }) {
  const generated = useId();
  const id = idProp ?? generated;
  const invalid = Boolean(errors?.length);
  return (
    <Shell label={label} errors={errors} hint={hint} className={className} id={id}>
      <select
        id={id}
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy(id, hint, errors)}
        className={cx(control, invalid ? "border-red-600" : "border-stone-300")}
        {...select}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Shell>
  );
}

export function TextAreaField({
  label,
  errors,
  hint,
  className,
  id: idProp,
  ...area
}: FieldShell & React.TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const generated = useId();
  const id = idProp ?? generated;
  const invalid = Boolean(errors?.length);
  return (
    <Shell label={label} errors={errors} hint={hint} className={className} id={id}>
      <textarea
        id={id}
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy(id, hint, errors)}
        className={cx(control, invalid ? "border-red-600" : "border-stone-300")}
        {...area}
      />
    </Shell>
  );
}

/** Errors that belong to the whole form (e.g. "wrong e-mail or password"). */
export function FormErrors({ errors, id }: { errors?: string[] | null; id?: string }) {
  if (!errors?.length) return null;
  return (
    <div id={id} role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
      {errors.map((e) => (
        <p key={e}>{e}</p>
      ))}
    </div>
  );
}
