import type { Trx } from "~/db.server";
import { newId } from "~/lib/ids";
import type { ActorType } from "~db/schema";

export interface Actor {
  type: ActorType;
  id: string | null;
  ip?: string | null;
}

/** Append one audit entry inside the transaction that made the change (the app role cannot update or delete them). */
export async function recordAudit(
  trx: Trx,
  merchantId: string,
  actor: Actor,
  action: string,
  target: { type: string; id: string } | null,
  change: { before?: unknown; after?: unknown } = {},
): Promise<void> {
  await trx
    .insertInto("audit_log")
    .values({
      merchant_id: merchantId,
      id: newId("audit"),
      actor_type: actor.type,
      actor_id: actor.id,
      action,
      target_type: target?.type ?? null,
      target_id: target?.id ?? null,
      before: change.before === undefined ? null : JSON.stringify(change.before),
      after: change.after === undefined ? null : JSON.stringify(change.after),
      ip: actor.ip?.slice(0, 64) ?? null,
    })
    .execute();
}
