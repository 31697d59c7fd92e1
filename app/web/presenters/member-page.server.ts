import { formatDateTime } from "~/components/ui/format";
import { balanceView, ledgerRow } from "~/components/points/views";
import { db, withTenant } from "~/db.server";
import { memberCltv } from "~/domain/cltv/report.server";
import { getMemberProfile } from "~/domain/members/profile.server";
import { describeChange } from "~/components/admin/member-profile";
import { getMemberPoints } from "~/domain/points/balance.server";
import { memberRewardsPanel } from "~/domain/rewards/catalog.server";
import { memberTags } from "~/domain/segments/segments.server";
import { memberTierPanelData } from "~/domain/tiers/member-panel.server";
import { now } from "~/lib/clock.server";
import { orBadRequest } from "~/web/form-action.server";
import { memberReferralPanel } from "~/web/presenters/referrals/member-panel.server";
import type { Merchant } from "~db/schema";

const LEDGER_PAGE = 25;

/**
 * The admin's member page: profile, points, one page of the ledger (with the names of the staff who wrote it),
 * and every program's panel. Null for a member this merchant does not have (RLS hides other merchants' members);
 * a ledger cursor we did not issue is a thrown 400.
 */
export async function memberPage(merchant: Merchant, memberId: string, cursor: string | null) {
  const at = now();
  const found = await withTenant(db(), merchant.id, async (trx) => {
    const profile = await getMemberProfile(trx, merchant.id, memberId);
    if (!profile) return null;
    // The balance, the rules its texts need and the ledger page: one statement.
    const { balance, rules, ledger } = await orBadRequest(getMemberPoints(trx, merchant.id, memberId, { ledger: { cursor, limit: LEDGER_PAGE } }));
    return {
      profile,
      rules,
      ledger: ledger!,
      balance,
      tier: await memberTierPanelData(trx, merchant.id, memberId, at),
      cltv: await memberCltv(trx, merchant.id, memberId),
      referrals: await memberReferralPanel(trx, merchant.id, memberId, merchant.currency),
      tags: await memberTags(trx, merchant.id, memberId),
      rewards: await memberRewardsPanel(trx, merchant.id, memberId, merchant.timezone),
    };
  });
  if (!found) return null;
  const staffIds = [...new Set(found.ledger.rows.filter((r) => r.actorType === "staff" && r.actorId).map((r) => r.actorId!))];
  const staff = staffIds.length ? await db().selectFrom("staff_users").select(["id", "name"]).where("id", "in", staffIds).execute() : [];
  const names = Object.fromEntries(staff.map((s) => [s.id, s.name]));
  const base = `/admin/${merchant.slug}/members/${memberId}`;
  const { member, orders, recentOrders, audit } = found.profile;
  return {
    // What the page shows: an audit entry's change as text, not the documents before and after.
    profile: {
      member,
      orders,
      recentOrders,
      audit: audit.map(({ before, after, ...e }) => ({ ...e, change: describeChange(before, after) })),
    },
    currency: merchant.currency,
    timezone: merchant.timezone,
    points: balanceView(found.balance, { pendingDays: found.rules.pendingDays, expiryMode: found.rules.expiry.mode }, merchant.timezone, at),
    ledger: found.ledger.rows.map((l) => ledgerRow(l, names, (d) => formatDateTime(d, merchant.timezone))),
    newerHref: cursor ? base : null,
    olderHref: found.ledger.nextCursor ? `${base}?ledger=${encodeURIComponent(found.ledger.nextCursor)}` : null,
    tier: found.tier,
    cltv: found.cltv,
    referrals: found.referrals,
    rewards: found.rewards,
    tags: found.tags,
    slug: merchant.slug,
  };
}
