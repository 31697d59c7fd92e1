import { z } from "zod";
import { parseRuleJson, type Rule } from "~/domain/segments/rule";

/** The segment form: name, description and the builder's rule (JSON in a hidden field). */
export const SegmentFormSchema = z.object({
  name: z.string({ error: "Name is required" }).trim().min(1, "Name is required").max(120, "Name must be at most 120 characters"),
  description: z
    .string()
    .trim()
    .max(500, "Description must be at most 500 characters")
    .optional()
    .transform((v) => v || null),
  rule: z.string({ error: "The rule is missing" }).transform((text, ctx): Rule => {
    const parsed = parseRuleJson(text);
    if (!parsed.ok) {
      ctx.addIssue({ code: "custom", message: parsed.message });
      return z.NEVER;
    }
    return parsed.rule;
  }),
});
