import { useState } from "react";
import { Button } from "~/components/ui";

/** A reward code with a button that copies it; the code stays selectable text for browsers without clipboard access. */
export function CopyCode({ code, label }: { code: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="flex flex-wrap items-center gap-2">
      <code className="rounded-md border border-stone-300 bg-stone-50 px-3 py-1.5 font-mono text-base tracking-wider text-stone-900 select-all" data-testid="reward-code">
        {code}
      </code>
      <Button
        type="button"
        variant="secondary"
        size="sm"
        aria-label={`Copy code for ${label}`}
        onClick={() => {
          void navigator.clipboard?.writeText(code).then(
            () => setCopied(true),
            () => setCopied(false),
          );
        }}
      >
        {copied ? "Copied" : "Copy code"}
      </Button>
      <span role="status" className="sr-only">
        {copied ? `Code ${code} copied` : ""}
      </span>
    </div>
  );
}
