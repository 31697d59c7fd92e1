import type { Task, TaskList } from "graphile-worker";
import { z } from "zod";
import { db } from "~/db.server";
import { failAnnouncement, OFFER_ANNOUNCE_TASK, sendAnnouncementBatch } from "~/domain/offers/announcements.server";
import { runSurpriseGift } from "~/domain/flows/gifts.server";
import { failSurpriseGift, SURPRISE_GIFT_TASK } from "~/domain/offers/gifts.server";

/**
 * Offers' background tasks: thin wrappers over app/domain/offers. Both are idempotent (per-member rows), so
 * graphile-worker's retries are safe; after the last attempt the gift / announcement is marked failed so the
 * admin page stops showing it as running.
 */

const GiftPayload = z.object({ merchantId: z.string().min(1), giftId: z.string().min(1) });
const AnnouncePayload = z.object({ merchantId: z.string().min(1), announcementId: z.string().min(1) });

function surpriseGiftTask(): Task {
  return async (payload, helpers) => {
    const p = GiftPayload.parse(payload);
    try {
      await runSurpriseGift(db(), p.merchantId, p.giftId);
    } catch (err) {
      if (helpers.job.attempts >= helpers.job.max_attempts) await failSurpriseGift(db(), p.merchantId, p.giftId, String(err));
      throw err;
    }
  };
}

function announceTask(): Task {
  return async (payload, helpers) => {
    const p = AnnouncePayload.parse(payload);
    try {
      // Sends one minute's worth and queues the next run itself when members remain (the rate limit).
      await sendAnnouncementBatch(db(), p.merchantId, p.announcementId, new Date());
    } catch (err) {
      if (helpers.job.attempts >= helpers.job.max_attempts) await failAnnouncement(db(), p.merchantId, p.announcementId, String(err));
      throw err;
    }
  };
}

export function offersTasks(): TaskList {
  return { [SURPRISE_GIFT_TASK]: surpriseGiftTask(), [OFFER_ANNOUNCE_TASK]: announceTask() };
}
