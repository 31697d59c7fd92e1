import { z } from "zod";

/** The admin member page's points forms (pure: the route validates with them and the browser pre-validates). */

export const ADJUST_MAX_POINTS = 1_000_000;

/**
 * A random key rendered into the form when the page loads: the ledger's idempotency key for that one submission, so
 * a double click or a resent POST records the adjustment once. A fresh key comes with the page after a success.
 */
export const FormKeySchema = z
  .string({ error: "This form has expired; reload the page and try again" })
  .regex(/^[A-Za-z0-9_-]{16,64}$/, "This form has expired; reload the page and try again");

/** Control characters (PostgreSQL refuses NUL in text; the others have no business in a reason or note). */
function hasControl(v: string, allowLineBreaks: boolean): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c < 0x20 || c === 0x7f) && !(allowLineBreaks && (c === 0x09 || c === 0x0a || c === 0x0d))) return true;
  }
  return false;
}

export const AdjustPointsSchema = z.object({
  intent: z.literal("adjust"),
  key: FormKeySchema,
  points: z
    .number({ error: (iss) => (iss.input === undefined ? "Points are required" : "Points must be a whole number") })
    .int({ error: "Points must be a whole number", abort: true })
    .min(-ADJUST_MAX_POINTS, `Points must be at least −${ADJUST_MAX_POINTS.toLocaleString("en-US")}`)
    .max(ADJUST_MAX_POINTS, `Points must be at most ${ADJUST_MAX_POINTS.toLocaleString("en-US")}`)
    .refine((v) => v !== 0, "Points must not be zero: a positive number adds points, a negative one removes them"),
  reason: z
    .string({ error: "Reason is required" })
    .trim()
    .min(1, "Reason is required")
    .max(200, "Reason must be at most 200 characters")
    .refine((v) => !hasControl(v, false), "Reason must be one line of plain text"),
  note: z
    .string()
    .trim()
    .max(2000, "Note must be at most 2,000 characters")
    .refine((v) => !hasControl(v, true), "Note must be plain text")
    .optional(),
});

export const ForgiveClawbackSchema = z.object({
  intent: z.literal("forgive"),
  key: FormKeySchema,
});
