import { useState } from "react";
import { Button } from "./button";

/**
 * Shows a secret once, with a copy button. The value is in the page only for this render: it is never stored
 * in clear, so losing it means creating a new key.
 */
export function SecretOnce({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState<"idle" | "copied" | "failed">("idle");
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("copied");
    } catch {
      // Clipboard access needs a secure context; the field stays selectable for copying by hand.
      setCopied("failed");
    }
  }
  return (
    <div className="space-y-2">
      <label className="block text-sm font-medium text-stone-800" htmlFor="secret-once">
        {label}
      </label>
      <div className="flex gap-2">
        <input
          id="secret-once"
          readOnly
          value={value}
          onFocus={(e) => e.currentTarget.select()}
          className="block w-full rounded-md border border-stone-300 bg-stone-50 px-3 py-2 font-mono text-sm text-stone-900"
        />
        <Button type="button" variant="secondary" onClick={copy}>
          {copied === "copied" ? "Copied" : "Copy"}
        </Button>
      </div>
      <p aria-live="polite" className="text-xs text-stone-600">
        {copied === "copied" ? "Copied to the clipboard." : copied === "failed" ? "Copying is blocked here; select the text and copy it by hand." : null}
      </p>
    </div>
  );
}
