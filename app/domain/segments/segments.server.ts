import { sql } from "kysely";
import { z } from "zod";
import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { notFound } from "~/lib/errors";
import { newId } from "~/lib/ids";
import { ruleSql, segmentFrom, segmentMemberIds } from "./compile.server";
import { RuleSchema, tagSchema, type Rule } from "./rule";
import type { SegmentInput } from "./schemas";

export { SegmentInput } from "./schemas";

export interface Segment {
  id: string;
  name: string;
  description: string | null;
  rule: Rule;
  createdAt: Date;
  updatedAt: Date;
}


type Row = { id: string; name: string; description: string | null; rule: unknown; created_at: Date; updated_at: Date };
const toSegment = (r: Row): Segment => ({
  id: r.id,
  name: r.name,
  description: r.description,
  // Stored rules were validated on write; parsing again keeps old rows honest if the schema tightens.
  rule: RuleSchema.parse(r.rule),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function listSegments(trx: Trx, merchantId: string): Promise<Segment[]> {
  const rows = await trx.selectFrom("segments").selectAll().where("merchant_id", "=", merchantId).orderBy("created_at", "desc").limit(500).execute();
  return rows.map(toSegment);
}

export async function getSegment(trx: Trx, merchantId: string, segmentId: string): Promise<Segment | null> {
  const row = await trx.selectFrom("segments").selectAll().where("merchant_id", "=", merchantId).where("id", "=", segmentId).executeTakeFirst();
  return row ? toSegment(row) : null;
}

export async function requireSegment(trx: Trx, merchantId: string, segmentId: string): Promise<Segment> {
  const s = await getSegment(trx, merchantId, segmentId);
  if (!s) throw notFound("Segment");
  return s;
}

export async function createSegment(trx: Trx, merchantId: string, input: SegmentInput, actor: Actor): Promise<Segment> {
  const id = newId("segment");
  const row = await trx
    .insertInto("segments")
    .values({ merchant_id: merchantId, id, name: input.name, description: input.description, rule: JSON.stringify(input.rule), created_by: actor.id })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(trx, merchantId, actor, "segment.created", { type: "segment", id }, { after: input });
  return toSegment(row);
}

export async function updateSegment(trx: Trx, merchantId: string, segmentId: string, input: SegmentInput, actor: Actor): Promise<Segment> {
  const before = await requireSegment(trx, merchantId, segmentId);
  const row = await trx
    .updateTable("segments")
    .set({ name: input.name, description: input.description, rule: JSON.stringify(input.rule), updated_at: new Date() })
    .where("merchant_id", "=", merchantId)
    .where("id", "=", segmentId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(trx, merchantId, actor, "segment.updated", { type: "segment", id: segmentId }, { before, after: input });
  return toSegment(row);
}

/** How many active members match the rule now: one count(*) query. */
export async function countSegment(trx: Trx, merchantId: string, rule: Rule, at: Date): Promise<number> {
  const res = await sql<{ n: number }>`select count(*)::int as n from ${segmentFrom(merchantId, rule)} and ${ruleSql(rule, at)}`.execute(trx);
  return res.rows[0]!.n;
}

export interface SegmentPreviewMember {
  id: string;
  email: string;
  name: string | null;
}

/** A few matching members (newest first) for the builder's preview. */
export async function previewSegment(trx: Trx, merchantId: string, rule: Rule, at: Date, limit = 10): Promise<SegmentPreviewMember[]> {
  const res = await sql<SegmentPreviewMember>`
    select m.id, m.email::text as email, m.name from ${segmentFrom(merchantId, rule)} and ${ruleSql(rule, at)}
    order by m.created_at desc, m.id desc limit ${limit}`.execute(trx);
  return res.rows;
}

/** Whether one member matches the rule now (the same query, narrowed to the member). */
export async function memberInSegment(trx: Trx, merchantId: string, rule: Rule, memberId: string, at: Date): Promise<boolean> {
  const res = await sql<{ id: string }>`select m.id from ${segmentFrom(merchantId, rule, memberId)} and ${ruleSql(rule, at)}`.execute(trx);
  return res.rows.length > 0;
}

export { segmentMemberIds };

// ---- member tags ------------------------------------------------------------------------------------------

export async function memberTags(trx: Trx, merchantId: string, memberId: string): Promise<string[]> {
  const rows = await trx
    .selectFrom("member_tags")
    .select("tag")
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .orderBy("tag")
    .execute();
  return rows.map((r) => r.tag);
}

export const TagsInput = z
  .string()
  .max(2000, "Too many tags")
  .transform((s) => s.split(/[,\s]+/).filter(Boolean))
  .pipe(z.array(tagSchema).max(50, "At most 50 tags per member"))
  .transform((tags) => [...new Set(tags)].sort());

/** Replaces a member's tags (audited when they change). */
export async function setMemberTags(trx: Trx, merchantId: string, memberId: string, tags: string[], actor: Actor): Promise<string[]> {
  const member = await trx.selectFrom("members").select("id").where("merchant_id", "=", merchantId).where("id", "=", memberId).executeTakeFirst();
  if (!member) throw notFound("Member");
  const before = await memberTags(trx, merchantId, memberId);
  if (before.join(",") === tags.join(",")) return before;
  await trx.deleteFrom("member_tags").where("merchant_id", "=", merchantId).where("member_id", "=", memberId).execute();
  if (tags.length) await trx.insertInto("member_tags").values(tags.map((tag) => ({ merchant_id: merchantId, member_id: memberId, tag }))).execute();
  await recordAudit(trx, merchantId, actor, "member.tags_changed", { type: "member", id: memberId }, { before, after: tags });
  return tags;
}

/** The merchant's tiers for the builder's tier condition (lowest first). */
export async function tierChoices(trx: Trx, merchantId: string): Promise<Array<{ id: string; name: string }>> {
  return trx.selectFrom("tiers").select(["id", "name"]).where("merchant_id", "=", merchantId).orderBy("rank").execute();
}
