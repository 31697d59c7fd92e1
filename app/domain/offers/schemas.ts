import { z } from "zod";

/** Offer and surprise-gift forms (admin): validated here, converted to instants with the merchant's time zone on the server. */

export const DEFAULT_HOLDOUT_PERCENT = 10;

const localDateTime = (label: string) =>
  z
    .string({ error: `${label} is required` })
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, `${label} must be a date and time`)
    .refine((s) => {
      const y = Number(s.slice(0, 4));
      return y >= 2000 && y <= 2100;
    }, `${label} must be between the years 2000 and 2100`);

const holdout = z.coerce
  .number({ error: "Holdout must be a number" })
  .int("Holdout must be a whole percent")
  .min(0, "Holdout must be at least 0%")
  .max(50, "Holdout must be at most 50%")
  .default(DEFAULT_HOLDOUT_PERCENT);

const optionalInt = (label: string, min: number, max: number) =>
  z.preprocess(
    (v) => (v === "" || v === undefined || v === null ? undefined : v),
    z.coerce.number({ error: `${label} must be a number` }).int(`${label} must be a whole number`).min(min, `${label} must be at least ${min}`).max(max, `${label} must be at most ${max}`).optional(),
  );

export const OfferFormSchema = z
  .object({
    title: z.string({ error: "Title is required" }).trim().min(1, "Title is required").max(120, "Title must be at most 120 characters"),
    description: z.string().trim().max(2000, "Description must be at most 2000 characters").default(""),
    imageUrl: z
      .string()
      .trim()
      .max(2000, "Image URL is too long")
      .optional()
      .transform((v) => v || null)
      .refine((v) => v === null || /^https?:\/\/\S+$/.test(v), "Image URL must start with http:// or https://"),
    kind: z.enum(["reward", "multiplier"], { error: "Choose what the offer grants" }),
    rewardId: z.string().trim().max(64).optional().transform((v) => v || null),
    multiplierPercent: optionalInt("Multiplier", 101, 1000),
    multiplierDays: optionalInt("Multiplier period", 1, 365),
    segmentId: z.string({ error: "Choose a segment" }).trim().min(1, "Choose a segment").max(64),
    startsAt: localDateTime("Start"),
    endsAt: localDateTime("End"),
    stockTotal: optionalInt("Stock", 1, 10_000_000),
    holdoutPercent: holdout,
  })
  .superRefine((v, ctx) => {
    if (v.kind === "reward" && !v.rewardId) ctx.addIssue({ code: "custom", path: ["rewardId"], message: "Choose the reward the offer grants" });
    if (v.kind === "multiplier") {
      if (v.multiplierPercent === undefined) ctx.addIssue({ code: "custom", path: ["multiplierPercent"], message: "Enter the multiplier in percent (200 = double points)" });
      if (v.multiplierDays === undefined) ctx.addIssue({ code: "custom", path: ["multiplierDays"], message: "Enter for how many days the multiplier applies" });
    }
    if (v.endsAt <= v.startsAt) ctx.addIssue({ code: "custom", path: ["endsAt"], message: "End must be after the start" });
  });
export type OfferForm = z.infer<typeof OfferFormSchema>;

export const GiftFormSchema = z.object({
  name: z.string({ error: "Name is required" }).trim().min(1, "Name is required").max(120, "Name must be at most 120 characters"),
  rewardId: z.string({ error: "Choose a reward" }).trim().min(1, "Choose a reward").max(64),
  segmentId: z.string({ error: "Choose a segment" }).trim().min(1, "Choose a segment").max(64),
  holdoutPercent: holdout,
});
export type GiftForm = z.infer<typeof GiftFormSchema>;

export const AnnouncementFormSchema = z.object({
  perMinute: z.coerce.number({ error: "Rate must be a number" }).int("Rate must be a whole number").min(1, "At least 1 e-mail per minute").max(100_000, "At most 100,000 e-mails per minute"),
});
