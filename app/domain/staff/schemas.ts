import { z } from "zod";
import { emailSchema, passwordSchema, personNameSchema } from "~/domain/members/schemas";

/** Staff-side form schemas (pure, used by routes on both server and client). */

export const staffRoleSchema = z.enum(["owner", "admin", "analyst"], { error: "Choose a role" });

export const LoginSchema = z.object({
  email: emailSchema,
  // Only the upper bound here: a short wrong password must get the same answer as any other wrong password.
  password: z.string({ error: "Password is required" }).min(1, "Password is required").max(128, "Password must be at most 128 characters"),
  redirectTo: z.string().max(2000).optional(),
});

export const ForgotPasswordSchema = z.object({ email: emailSchema });

export const ResetPasswordSchema = z
  .object({ password: passwordSchema, confirm: z.string({ error: "Repeat the password" }) })
  .refine((v) => v.password === v.confirm, { message: "The passwords do not match", path: ["confirm"] });

export const InviteSchema = z.object({ intent: z.literal("invite"), email: emailSchema, role: staffRoleSchema });
export const ChangeRoleSchema = z.object({ intent: z.literal("change-role"), staffUserId: z.string().max(64), role: staffRoleSchema });
export const RemoveStaffSchema = z.object({ intent: z.literal("remove"), staffUserId: z.string().max(64) });
export const RevokeInvitationSchema = z.object({ intent: z.literal("revoke"), invitationId: z.string().max(64) });
export const TeamActionSchema = z.discriminatedUnion("intent", [InviteSchema, ChangeRoleSchema, RemoveStaffSchema, RevokeInvitationSchema]);

export const AcceptInvitationSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("accept") }),
  z.object({ intent: z.literal("login"), password: LoginSchema.shape.password }),
  z.object({ intent: z.literal("create"), name: personNameSchema, password: passwordSchema }),
]);
