import { z } from "zod";
import { birthdaySchema, emailSchema, externalIdSchema, memberStatusSchema, personNameSchema } from "~/domain/members/schemas";
import { decodeCursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_QUERY_LENGTH } from "~/domain/members/search.server";
import type { Member } from "~db/schema";

/**
 * The REST API's request and response shapes. The same schemas validate requests and generate the OpenAPI
 * document (app/api/openapi.ts), so the reference cannot drift from the behaviour. Metadata uses Zod 4's own
 * `.meta()`, which zod-to-openapi reads; `id` makes a schema a named component.
 *
 * Unknown-fields policy: request bodies are strict — an unknown field is a 422 naming it (a typo such as
 * `externalId` must not be silently dropped). Unknown query parameters are ignored, as is usual for URLs.
 */

// ---- errors -----------------------------------------------------------------------------------------------

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: "Stable, machine-readable code", example: "validation_failed" }),
      message: z.string().meta({ description: "Human-readable explanation", example: "Enter a valid e-mail address" }),
      field: z.string().optional().meta({ description: "Dotted path of the offending field or header, when there is one", example: "email" }),
    }),
  })
  .meta({ id: "Error", description: "Every error response has this shape." });

// ---- members ----------------------------------------------------------------------------------------------

export const MemberSchema = z
  .object({
    id: z.string().meta({ example: "mbr_tt3gadndsmzdpsn24id347kc4f" }),
    email: z.string().meta({ format: "email", example: "ada@example.com" }),
    name: z.string().nullable().meta({ example: "Ada Lovelace" }),
    birthday: z.string().nullable().meta({ format: "date", example: "1990-04-23" }),
    external_id: z.string().nullable().meta({ description: "Your system's id for this customer", example: "cus_1042" }),
    status: memberStatusSchema,
    created_at: z.string().meta({ format: "date-time" }),
    updated_at: z.string().meta({ format: "date-time" }),
  })
  .meta({ id: "Member" });

export type ApiMember = z.infer<typeof MemberSchema>;

// Both a members row and a listMembers row (whose status is a plain string) fit.
type MemberLike = Pick<Member, "id" | "email" | "name" | "birthday" | "external_id" | "created_at" | "updated_at"> & { status: string };

export function toApiMember(m: MemberLike): ApiMember {
  return {
    id: m.id,
    email: m.email,
    name: m.name,
    birthday: m.birthday,
    external_id: m.external_id,
    status: m.status as ApiMember["status"],
    created_at: new Date(m.created_at).toISOString(),
    updated_at: new Date(m.updated_at).toISOString(),
  };
}

export const UpsertMemberBody = z
  .strictObject({
    email: emailSchema.meta({ description: "Matched case-insensitively; stored lower-case", example: "ada@example.com" }),
    name: personNameSchema.nullable().optional().meta({ description: "Omit to keep the current value; null clears it", example: "Ada Lovelace" }),
    birthday: birthdaySchema.nullable().optional().meta({ description: "A real date between 1900-01-01 and today; null clears it", example: "1990-04-23" }),
    external_id: externalIdSchema.optional().meta({
      description: "Your system's id for this customer. When given, the member is matched by it (else by e-mail).",
      example: "cus_1042",
    }),
    referral_code: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9]{4,16}$/, "A referral code is 4 to 16 letters or digits")
      .optional()
      .meta({ description: "A new member is attributed to this referral code (ignored for an existing member; see POST /referrals/attributions)", example: "K7QM9XW" }),
  })
  .meta({ id: "UpsertMemberRequest" });

export const ListMembersQuery = z.object({
  q: z.string().trim().max(MAX_QUERY_LENGTH).optional().meta({ description: "Search e-mail, name and external id (an e-mail prefix below 3 characters)" }),
  status: memberStatusSchema.optional().meta({ description: "Only members with this status" }),
  cursor: z
    .string()
    .max(200)
    .refine((c) => decodeCursor(c) !== null, "cursor is not a cursor returned by this API")
    .optional()
    .meta({ description: "`next_cursor` of the previous page" }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .meta({ description: `Page size, 1 to ${MAX_PAGE_SIZE}`, example: DEFAULT_PAGE_SIZE }),
});

export const ListMembersResponse = z
  .object({
    data: z.array(MemberSchema),
    next_cursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last page" }),
  })
  .meta({ id: "MemberList" });

export const MemberIdParams = z.object({
  id: z.string().meta({ description: "Member id", example: "mbr_tt3gadndsmzdpsn24id347kc4f" }),
});
