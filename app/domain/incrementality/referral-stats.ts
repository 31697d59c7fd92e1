import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";

/**
 * The statistics of the referral program's friend holdout (pure, unit-tested beside this file). Landing devices are
 * randomized between the invitation with the friend's welcome gift (`offer`) and the same invitation without it
 * (`holdout`): both arms see who invited them and join as referrals, so what is measured is the effect of the
 * friend's *incentive* given an invitation. A device "converts" when the member who signed up from it qualifies.
 *
 *  - Conversion rate per arm with the Wilson score 95% interval (well behaved at 0 and small counts).
 *  - p_organic = conversion(holdout) / conversion(offer): the share of gifted friends who would have joined and
 *    qualified on the invitation alone, without the gift. Its 95% interval is Katz's log method:
 *    SE(log RR) = √(1/a − 1/n₁ + 1/c − 1/n₂), with 0.5 added to every cell when a count is zero (Haldane), so a
 *    holdout with no conversions still has an upper bound.
 *  - Incremental value of the gift net of what it costs (the CLTV reference, "randomize the referral incentive"):
 *      Σ CLV_offer · (1 − p) + converts · p · (mean CLV offer − mean CLV holdout) − friend rewards − referrer rewards · (1 − p).
 *    The first term is the value of the friends who came only because of the gift; the second (the premium) is what
 *    the gift added to those who would have come anyway. The friends' gifts are all the gift's cost; the referrer's
 *    (and ancestors') rewards are paid for held-out friends too, so only those for the friends the gift brought —
 *    the (1 − p) share — are its cost. Linear in p: its interval is the formula at p's interval ends.
 */

const Z95 = normalQuantile(0.975, 0, 1);

export interface Rate {
  successes: number;
  trials: number;
  /** successes / trials; null without trials. */
  rate: number | null;
  ci95: [number, number] | null;
}

export function wilson(successes: number, trials: number): Rate {
  if (!Number.isInteger(successes) || !Number.isInteger(trials) || successes < 0 || trials < 0 || successes > trials) {
    throw new RangeError(`invalid proportion ${successes}/${trials}`);
  }
  if (trials === 0) return { successes, trials, rate: null, ci95: null };
  const p = successes / trials;
  const z2 = Z95 * Z95;
  const denom = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denom;
  const half = (Z95 * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denom;
  const lo = successes === 0 ? 0 : Math.max(0, centre - half);
  const hi = successes === trials ? 1 : Math.min(1, centre + half);
  return { successes, trials, rate: p, ci95: [lo, hi] };
}

export interface RateRatio {
  /** (a/n₁) / (c/n₂). */
  ratio: number;
  /** SE of log(ratio) (with the zero-cell correction when used). */
  seLog: number;
  ci95: [number, number];
}

/**
 * Katz log-ratio interval for (a/n₁)/(c/n₂). Null when either arm has no trials or the denominator arm has no
 * successes (the ratio is undefined).
 */
export function rateRatioKatz(a: number, n1: number, c: number, n2: number): RateRatio | null {
  if (n1 <= 0 || n2 <= 0 || c <= 0 || a < 0 || a > n1 || c > n2) return null;
  const ratio = a / n1 / (c / n2);
  const zero = a === 0 || a === n1 || c === n2;
  const [aa, nn1, cc, nn2] = zero ? [a + 0.5, n1 + 0.5, c + 0.5, n2 + 0.5] : [a, n1, c, n2];
  const seLog = Math.sqrt(1 / aa - 1 / nn1 + 1 / cc - 1 / nn2);
  const centre = Math.log(aa / nn1 / (cc / nn2));
  return { ratio, seLog, ci95: [Math.exp(centre - Z95 * seLog), Math.exp(centre + Z95 * seLog)] };
}

export interface IncrementalInput {
  /** Offer-arm converts and the sum of their value (realized margin + predicted residual CLTV), minor units. */
  converts: number;
  sumValue: number;
  /** Mean value of offer-arm and holdout-arm converts (0 when an arm has none). */
  meanOffer: number;
  meanHoldout: number;
  /** The offer arm's friend payouts (welcome gifts), minor units. */
  friendRewardCost: number;
  /** The offer arm's referrer and ancestor payouts, minor units. */
  referrerRewardCost: number;
}

/** The premium: what the incentive added to the friends who would have come anyway. */
export function referralPremium(x: Pick<IncrementalInput, "converts" | "meanOffer" | "meanHoldout">, pOrganic: number): number {
  return x.converts * pOrganic * (x.meanOffer - x.meanHoldout);
}

/** Σ CLV·(1 − p) + premium − friend rewards − referrer rewards·(1 − p). */
export function incrementalReferralValue(x: IncrementalInput, pOrganic: number): number {
  return (x.sumValue - x.referrerRewardCost) * (1 - pOrganic) + referralPremium(x, pOrganic) - x.friendRewardCost;
}

/** The incremental value at p's interval ends, ordered low to high (the value is linear in p). */
export function incrementalReferralInterval(x: IncrementalInput, pCi: [number, number]): [number, number] {
  const a = incrementalReferralValue(x, pCi[0]);
  const b = incrementalReferralValue(x, pCi[1]);
  return a <= b ? [a, b] : [b, a];
}
