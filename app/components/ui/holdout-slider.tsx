import { useState } from "react";

/**
 * The "hold out N%" range input shared by every program that keeps a randomized control group (offers, surprise
 * gifts, the referral friend holdout). The value is submitted as `name`; when `locked` (the share is fixed once
 * members have been drawn) the range is disabled and a hidden input still submits the value.
 */
export function HoldoutSlider({
  name,
  defaultPercent,
  of,
  hint,
  max = 50,
  locked = false,
  errors,
  className,
}: {
  name: string;
  defaultPercent: number;
  /** Completes "Hold out N% of …", e.g. "eligible members". */
  of: string;
  hint: string;
  max?: number;
  locked?: boolean;
  errors?: string[];
  className?: string;
}) {
  const [percent, setPercent] = useState(defaultPercent);
  const hintId = `${name}-hint`;
  return (
    <div className={className ? `space-y-2 ${className}` : "space-y-2"}>
      <label htmlFor={name} className="block text-sm font-medium text-stone-800">
        Hold out <output htmlFor={name}>{percent}%</output> of {of}
      </label>
      <input
        id={name}
        name={name}
        type="range"
        min={0}
        max={max}
        step={1}
        value={percent}
        disabled={locked}
        onChange={(e) => setPercent(Number(e.target.value))}
        aria-describedby={hintId}
        className="w-full max-w-md accent-brand-600"
      />
      {locked ? <input type="hidden" name={name} value={percent} /> : null}
      <p id={hintId} className="text-xs text-stone-500">
        {hint}
      </p>
      {errors?.length ? (
        <p className="text-sm text-red-700" role="alert">
          {errors[0]}
        </p>
      ) : null}
    </div>
  );
}
