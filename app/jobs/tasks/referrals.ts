import type { TaskList } from "graphile-worker";
import { runReferralRelease } from "~/domain/flows/referral-rewards.server";
import { runAncestorDigest } from "~/domain/referrals/jobs.server";

/** Referral jobs (app/domain/referrals/jobs.server.ts): hold-period release hourly, the ancestors' digest daily. */
export const REFERRAL_RELEASE_TASK = "referral_release";
export const REFERRAL_DIGEST_TASK = "referral_ancestor_digest";

export const REFERRALS_CRONTAB = [
  `17 * * * * ${REFERRAL_RELEASE_TASK} ?max=3&jobKey=${REFERRAL_RELEASE_TASK}`,
  `41 16 * * * ${REFERRAL_DIGEST_TASK} ?max=3&jobKey=${REFERRAL_DIGEST_TASK}`,
].join("\n");

export function referralsTasks(): TaskList {
  return {
    [REFERRAL_RELEASE_TASK]: async (_payload, helpers) => {
      const r = await runReferralRelease();
      helpers.logger.debug(`${REFERRAL_RELEASE_TASK}: ${r.released} released, ${r.failed} failed`);
    },
    [REFERRAL_DIGEST_TASK]: async (_payload, helpers) => {
      const r = await runAncestorDigest();
      helpers.logger.debug(`${REFERRAL_DIGEST_TASK}: ${r.sent} digests`);
    },
  };
}
