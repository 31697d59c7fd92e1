import { z } from "zod";
import { parseRuleJson, type Rule } from "~/domain/segments/rule";
import { SegmentInput } from "~/domain/segments/schemas";

/** The segment form: the domain input, with the builder's rule as JSON in a hidden field. */
export const SegmentFormSchema = SegmentInput.extend({
  rule: z.string({ error: "The rule is missing" }).transform((text, ctx): Rule => {
    const parsed = parseRuleJson(text);
    if (!parsed.ok) {
      ctx.addIssue({ code: "custom", message: parsed.message });
      return z.NEVER;
    }
    return parsed.rule;
  }),
});
