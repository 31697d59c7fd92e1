import { z } from "zod";
import { RuleSchema } from "./rule";

/** What creating or editing a segment takes (the admin form and the API build on it). */
export const SegmentInput = z.object({
  name: z.string({ error: "Name is required" }).trim().min(1, "Name is required").max(120, "Name must be at most 120 characters"),
  description: z
    .string()
    .trim()
    .max(500, "Description must be at most 500 characters")
    .optional()
    .transform((v) => v || null),
  rule: RuleSchema,
});
export type SegmentInput = z.infer<typeof SegmentInput>;
