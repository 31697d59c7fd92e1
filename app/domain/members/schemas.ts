import { z } from "zod";

/**
 * Field rules for member data, shared by the portal forms, the admin and the REST API so a value accepted in one
 * place is accepted in all. Pure: no I/O.
 */
export const emailSchema = z
  .string({ error: "E-mail is required" })
  .trim()
  .min(1, "E-mail is required")
  .max(254, "E-mail must be at most 254 characters")
  .email("Enter a valid e-mail address")
  .transform((v) => v.toLowerCase());

export const personNameSchema = z.string().trim().min(1, "Name is required").max(120, "Name must be at most 120 characters");

export const externalIdSchema = z
  .string()
  .trim()
  .min(1, "External id must not be empty")
  .max(200, "External id must be at most 200 characters")
  .regex(/^[\x21-\x7e]+$/, "External id may contain visible ASCII characters only");

/** A real calendar date, not in the future and not before 1900. */
export const birthdaySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "Birthday must be a date like 1990-04-23")
  .refine((v) => {
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
  }, "Birthday is not a real date")
  .refine((v) => v >= "1900-01-01" && new Date(`${v}T00:00:00Z`).getTime() <= Date.now(), "Birthday must be between 1900 and today");

export const passwordSchema = z
  .string({ error: "Password is required" })
  .min(8, "Password must be at least 8 characters")
  .max(128, "Password must be at most 128 characters");

export const memberStatusSchema = z.enum(["active", "blocked", "deleted"]);

/** The portal profile page posts one of two forms; the hidden `intent` field says which. */
export const MemberProfileFormSchema = z.object({ intent: z.literal("profile"), name: personNameSchema, birthday: birthdaySchema.optional() });
export const MemberPasswordFormSchema = z
  .object({
    intent: z.literal("password"),
    currentPassword: z.string({ error: "Enter your current password" }).max(128, "Password must be at most 128 characters"),
    newPassword: passwordSchema,
    confirm: z.string({ error: "Repeat the new password" }),
  })
  .refine((v) => v.newPassword === v.confirm, { message: "The passwords do not match", path: ["confirm"] });
export const MemberProfileActionSchema = z.discriminatedUnion("intent", [MemberProfileFormSchema, MemberPasswordFormSchema]);
