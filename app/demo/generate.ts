import { bernoulli, beta, deriveSeed, exponential, gamma, pick, seededRng, uniform, uniformInt, type Rng } from "~/lib/random";
import { offsetAt } from "~/lib/time-zone";

/**
 * The demo merchant's members and orders, drawn from the generative story the CLTV models assume, so that
 * fitting BG/NBD / Pareto/NBD + Gamma-Gamma to the demo data recovers something close to `truth`:
 *
 *  - Pareto/NBD purchase process. Each customer has a purchase rate λ ~ Gamma(r, α) and, independently, a
 *    dropout rate μ ~ Gamma(s, β); their lifetime τ ~ Exponential(μ) starts at the first order. While alive they
 *    order as a Poisson process with rate λ. Rates are per day.
 *  - Gamma-Gamma spend. Each customer has ν ~ Gamma(q, γ); each of their orders is Gamma(p, ν), so the
 *    customer's mean spend is p/ν (in cents). Orders are kept inside a realistic band by redrawing.
 *  - Around that: members join over the two years before `now` (growing over time), most place their first
 *    order at sign-up or within days, some never order. Timestamps fall in the shop's opening hours.
 *
 * Pure and deterministic: same seed + same `now` → identical output. Every member draws from their own
 * sub-streams, so a member's behaviour does not depend on how many numbers earlier members consumed.
 */

export interface DemoParams {
  /** λ ~ Gamma(r, α), per day: mean r/α. */
  r: number;
  alpha: number;
  /** μ ~ Gamma(s, β), per day; P(lifetime > t days) = (β / (β + t))^s. */
  s: number;
  beta: number;
  /** Gamma-Gamma spend in cents: order ~ Gamma(p, ν), ν ~ Gamma(q, γ); mean of customer means pγ/(q − 1). */
  p: number;
  q: number;
  gamma: number;
  minOrderMinor: number;
  maxOrderMinor: number;
  /** Share of members who never order. */
  neverOrderShare: number;
  /** Of those who order: share whose first order is placed at sign-up (minutes later); the rest wait Exp(mean). */
  orderAtJoinShare: number;
  firstOrderDelayMeanDays: number;
  /** Days of history before `now` over which members join. */
  historyDays: number;
  /** Sign-up growth: the join rate at `now` is (1 + joinGrowth) times the rate at the start of the history. */
  joinGrowth: number;
  birthdayShare: number;
  externalIdShare: number;
  /** Local opening hours for timestamps, in hours after midnight. */
  opensAtHour: number;
  closesAtHour: number;
}

/**
 * Coffee shop / online coffee subscription:
 *  - λ: mean 0.05/day (every 20 days), median ≈ 0.037/day (every ~4 weeks); ~5% of customers buy at least weekly.
 *  - lifetime: median ≈ 2 months, a third gone within a month, a loyal ≈ 14% still alive after two years
 *    (P(τ > t) = (30 / (30 + t))^0.6). In weeks, for the BG/NBD / Pareto/NBD fits: α = 24/7, β = 30/7.
 *  - result: roughly 88% of members order, about two thirds of buyers order again, ~6 orders per member.
 *  - spend: customer means average $26 (median $24, middle half ≈ $19–$31), each order ±35% (CV) around it.
 */
export const DEFAULT_DEMO_PARAMS: DemoParams = {
  r: 1.2,
  alpha: 24,
  s: 0.6,
  beta: 30,
  p: 8,
  q: 8,
  gamma: 2275,
  minOrderMinor: 600,
  maxOrderMinor: 8000,
  neverOrderShare: 0.12,
  orderAtJoinShare: 0.65,
  firstOrderDelayMeanDays: 4,
  historyDays: 730,
  joinGrowth: 1.5,
  birthdayShare: 0.7,
  externalIdShare: 0.1,
  opensAtHour: 6.5,
  closesAtHour: 20,
};

export interface DemoMember {
  /** Position in join order (0 = first to join); ids are assigned when inserting. */
  key: number;
  email: string;
  name: string;
  /** 'YYYY-MM-DD' */
  birthday: string | null;
  externalId: string | null;
  createdAt: Date;
}

export interface DemoOrder {
  memberKey: number;
  /** `seed-000001` is the earliest order. */
  externalOrderId: string;
  amountMinor: number;
  occurredAt: Date;
}

/** The latent values drawn for one member: what a CLTV model should (approximately) recover. */
export interface DemoCustomerTruth {
  memberKey: number;
  /** λ, expected orders per day while alive. */
  purchaseRatePerDay: number;
  /** μ, the dropout rate per day. */
  dropoutRatePerDay: number;
  /** p/ν, the customer's expected order value in cents (before the redraw into [min, max]). */
  meanSpendMinor: number;
  /** False for the members who never order. */
  intendsToOrder: boolean;
  /** The first order; null when the member has not ordered by `now`. The repeat process starts here. */
  firstOrderAt: Date | null;
  /** firstOrderAt + lifetime; may lie after `now` (still alive). Null when there is no first order. */
  aliveUntil: Date | null;
  /** With `program`: held out of the loyalty program (its randomized holdout), so no program effect on orders. */
  heldOut?: boolean;
}

export interface DemoData {
  members: DemoMember[];
  orders: DemoOrder[];
  truth: { seed: number; now: Date; params: DemoParams; customers: DemoCustomerTruth[] };
  /** An active, loyal member whose account the seed makes loginable, so the member portal has history to show. */
  demoMemberKey: number;
}

export interface GenerateOptions {
  seed: number;
  now: Date;
  members?: number;
  timeZone?: string;
  params?: Partial<DemoParams>;
  /**
   * A loyalty program with a randomized holdout and a real effect (issue 6): from `launchDaysAgo` on, members not
   * held out (drawn with probability `holdoutShare` from their own sub-stream) buy `purchaseLift` more often while
   * alive — an extra Poisson process at rate λ·lift, so their other orders are exactly what they would have been.
   */
  program?: { launchDaysAgo: number; holdoutShare: number; purchaseLift: number };
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const MAX_LIFETIME_DAYS = 36_500;

// Sub-stream ids (deriveSeed path components).
const STREAM_IDENTITY = 1;
const STREAM_JOIN = 2;
const STREAM_PURCHASES = 3;
const STREAM_SPEND = 4;
const STREAM_PROGRAM = 5;

export function generateDemoData(opts: GenerateOptions): DemoData {
  const params: DemoParams = { ...DEFAULT_DEMO_PARAMS, ...opts.params };
  const count = opts.members ?? 2000;
  const nowMs = opts.now.getTime();
  if (!Number.isFinite(nowMs)) throw new Error("generateDemoData: invalid now");
  const timeZone = opts.timeZone ?? "America/New_York";
  const hours = { opens: params.opensAtHour, closes: params.closesAtHour, timeZone };
  const startMs = nowMs - params.historyDays * DAY_MS;

  interface Draft {
    identity: IdentityDraft;
    createdMs: number;
    truth: Omit<DemoCustomerTruth, "memberKey">;
    orders: Array<{ ms: number; amountMinor: number }>;
    index: number;
  }
  const drafts: Draft[] = [];

  for (let i = 0; i < count; i++) {
    const identity = drawIdentity(seededRng(deriveSeed(opts.seed, i, STREAM_IDENTITY)), params, nowMs);

    const joinRng = seededRng(deriveSeed(opts.seed, i, STREAM_JOIN));
    const x = growingJoinFraction(joinRng(), params.joinGrowth);
    const createdMs = wholeSecond(snapToOpeningHours(joinRng, startMs + x * (nowMs - startMs), startMs, nowMs, hours), startMs, nowMs);

    // Latent traits exist for everyone (drawn first, in a fixed order, so they never depend on other branches).
    const rng = seededRng(deriveSeed(opts.seed, i, STREAM_PURCHASES));
    const lambda = gamma(rng, params.r, params.alpha);
    const mu = gamma(rng, params.s, params.beta);
    // Capped at a century: with μ ~ Gamma(0.6, ·) a few draws are tiny, and a Date cannot hold 10^20 days.
    const lifetimeDays = Math.min(MAX_LIFETIME_DAYS, exponential(rng, mu));
    const intendsToOrder = !bernoulli(rng, params.neverOrderShare);
    const atJoin = bernoulli(rng, params.orderAtJoinShare);
    const delayMs = atJoin ? uniform(rng, 1, 15) * MINUTE_MS : exponential(rng, 1 / params.firstOrderDelayMeanDays) * DAY_MS;

    const spendRng = seededRng(deriveSeed(opts.seed, i, STREAM_SPEND));
    const nu = gamma(spendRng, params.q, params.gamma);
    const meanSpendMinor = params.p / nu;

    const programRng = seededRng(deriveSeed(opts.seed, i, STREAM_PROGRAM));
    const heldOut = opts.program ? bernoulli(programRng, opts.program.holdoutShare) : false;
    const orderTimes: number[] = [];
    let firstMs: number | null = null;
    let aliveUntilMs: number | null = null;
    if (intendsToOrder && createdMs + delayMs < nowMs) {
      const raw = createdMs + delayMs;
      firstMs = atJoin ? wholeSecond(raw, createdMs, nowMs) : wholeSecond(snapToOpeningHours(rng, raw, createdMs, nowMs, hours), createdMs, nowMs);
      aliveUntilMs = firstMs + lifetimeDays * DAY_MS;
      orderTimes.push(firstMs);
      // Poisson process from the first order until dropout or now. Each event keeps its count and local day;
      // only its time of day is moved into opening hours, so the number of orders is exactly the model's.
      const endMs = Math.min(aliveUntilMs, nowMs);
      let t = firstMs + exponential(rng, lambda) * DAY_MS;
      while (t < endMs) {
        orderTimes.push(wholeSecond(snapToOpeningHours(rng, t, firstMs, nowMs, hours), firstMs, nowMs));
        t += exponential(rng, lambda) * DAY_MS;
      }
      if (opts.program && !heldOut) {
        // The program's effect: extra orders while alive after the launch (or after the first order, if later).
        const from = Math.max(firstMs, nowMs - opts.program.launchDaysAgo * DAY_MS);
        let e = from + exponential(programRng, lambda * opts.program.purchaseLift) * DAY_MS;
        while (e < endMs) {
          orderTimes.push(wholeSecond(snapToOpeningHours(programRng, e, from, nowMs, hours), from, nowMs));
          e += exponential(programRng, lambda * opts.program.purchaseLift) * DAY_MS;
        }
      }
      orderTimes.sort((a, b) => a - b);
    }

    const orders = orderTimes.map((ms) => ({ ms, amountMinor: drawOrderAmount(spendRng, params, nu) }));
    drafts.push({
      identity,
      createdMs,
      index: i,
      orders,
      truth: {
        purchaseRatePerDay: lambda,
        dropoutRatePerDay: mu,
        meanSpendMinor,
        intendsToOrder,
        firstOrderAt: firstMs === null ? null : new Date(firstMs),
        aliveUntil: aliveUntilMs === null ? null : new Date(Math.round(aliveUntilMs)),
        ...(opts.program ? { heldOut } : {}),
      },
    });
  }

  // Keys follow join order; ties (same second) break on the draw index so the order is total.
  drafts.sort((a, b) => a.createdMs - b.createdMs || a.index - b.index);

  const emails = new Set<string>();
  const externalIds = new Set<string>();
  const members: DemoMember[] = [];
  const customers: DemoCustomerTruth[] = [];
  const flatOrders: Array<{ memberKey: number; ms: number; amountMinor: number }> = [];
  drafts.forEach((d, key) => {
    members.push({
      key,
      email: uniqueEmail(d.identity.emailLocal, d.identity.emailDomain, emails),
      name: d.identity.name,
      birthday: d.identity.birthday,
      externalId: uniqueExternalId(d.identity.externalId === "shop" ? `shop-${10001 + key}` : d.identity.externalId, externalIds),
      createdAt: new Date(d.createdMs),
    });
    customers.push({ memberKey: key, ...d.truth });
    for (const o of d.orders) flatOrders.push({ memberKey: key, ...o });
  });

  flatOrders.sort((a, b) => a.ms - b.ms || a.memberKey - b.memberKey);
  const orders: DemoOrder[] = flatOrders.map((o, i) => ({
    memberKey: o.memberKey,
    externalOrderId: `seed-${String(i + 1).padStart(6, "0")}`,
    amountMinor: o.amountMinor,
    occurredAt: new Date(o.ms),
  }));

  return {
    members,
    orders,
    truth: { seed: opts.seed, now: new Date(nowMs), params, customers },
    demoMemberKey: chooseDemoMember(customers, orders, nowMs) };
}

/** Headline numbers of a generated data set (for logs, the seed's audit entry and tests). */
export function summarizeDemoData(data: DemoData) {
  const perMember = new Map<number, number>();
  let revenueMinor = 0;
  for (const o of data.orders) {
    perMember.set(o.memberKey, (perMember.get(o.memberKey) ?? 0) + 1);
    revenueMinor += o.amountMinor;
  }
  const buyers = perMember.size;
  const repeatBuyers = [...perMember.values()].filter((n) => n > 1).length;
  return {
    members: data.members.length,
    buyers,
    repeatBuyers,
    repeatShare: buyers ? repeatBuyers / buyers : 0,
    orders: data.orders.length,
    revenueMinor,
    meanOrderMinor: data.orders.length ? Math.round(revenueMinor / data.orders.length) : 0,
    /** Customers whose lifetime has not ended at `now`. */
    aliveAtNow: data.truth.customers.filter((c) => c.aliveUntil !== null && c.aliveUntil > data.truth.now).length,
  };
}

// ---- time -----------------------------------------------------------------------------------------------------

/** Inverse CDF of the density ∝ 1 + g·x on [0, 1]: more members join recently than two years ago. */
function growingJoinFraction(u: number, g: number): number {
  if (g === 0) return u;
  return (-1 + Math.sqrt(1 + 2 * g * u * (1 + g / 2))) / g;
}

function wholeSecond(ms: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(ms / 1000) * 1000));
}

/**
 * Moves `ms` to a uniformly random time within opening hours on the same local day, restricted to [lo, hi].
 * When that window is empty (the day's opening hours are outside the bounds) the time stays as it is.
 */
function snapToOpeningHours(rng: Rng, ms: number, lo: number, hi: number, h: { opens: number; closes: number; timeZone: string }): number {
  const offset = tzOffsetMs(ms, h.timeZone);
  const localMidnight = Math.floor((ms + offset) / DAY_MS) * DAY_MS - offset;
  const from = Math.max(lo, localMidnight + h.opens * 3_600_000);
  const to = Math.min(hi, localMidnight + h.closes * 3_600_000);
  return from < to ? uniform(rng, from, to) : Math.min(hi, Math.max(lo, ms));
}

/** The zone's UTC offset at an instant (local − UTC, ms), from the platform's time-zone database. */
const tzOffsetMs = (ms: number, timeZone: string) => offsetAt(ms, timeZone);

// ---- spend ----------------------------------------------------------------------------------------------------

/** One order's amount in cents: Gamma(p, ν), redrawn until it lies in the band (clamped after many misses). */
function drawOrderAmount(rng: Rng, params: DemoParams, nu: number): number {
  let z = 0;
  for (let attempt = 0; attempt < 50; attempt++) {
    z = Math.round(gamma(rng, params.p, nu));
    if (z >= params.minOrderMinor && z <= params.maxOrderMinor) return z;
  }
  return Math.min(params.maxOrderMinor, Math.max(params.minOrderMinor, z));
}

// ---- demo login -----------------------------------------------------------------------------------------------

/** The earliest-joined member with a long, still-active history of a believable size; else the busiest member. */
function chooseDemoMember(customers: DemoCustomerTruth[], orders: DemoOrder[], nowMs: number): number {
  const counts = new Map<number, number>();
  for (const o of orders) counts.set(o.memberKey, (counts.get(o.memberKey) ?? 0) + 1);
  const good = customers.find((c) => {
    const n = counts.get(c.memberKey) ?? 0;
    return !c.heldOut && c.firstOrderAt !== null && c.firstOrderAt.getTime() < nowMs - 300 * DAY_MS && c.aliveUntil! > new Date(nowMs) && n >= 8 && n <= 40;
  });
  if (good) return good.memberKey;
  let best = 0;
  for (const [key, n] of counts) if (n > (counts.get(best) ?? 0)) best = key;
  return best;
}

// ---- identity -------------------------------------------------------------------------------------------------

interface IdentityDraft {
  name: string;
  emailLocal: string;
  emailDomain: string;
  birthday: string | null;
  /** A final id, or "shop" for a `shop-NNNNN` number assigned from the join order. */
  externalId: string | null;
}

const FIRST_NAMES = [
  "Maria", "James", "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Mateo", "Isabella", "Lucas",
  "Mia", "Ethan", "Amelia", "Aiden", "Harper", "Mason", "Evelyn", "Logan", "Abigail", "Benjamin", "Emily",
  "Daniel", "Charlotte", "Henry", "Sofia", "Jackson", "Camila", "Sebastian", "Aaliyah", "David", "Chloe",
  "Joseph", "Grace", "Samuel", "Zoe", "Carlos", "Nora", "Wei", "Priya", "Arjun", "Fatima", "Omar", "Aisha",
  "Hiroshi", "Yuki", "Min-jun", "Ji-woo", "Thanh", "Linh", "Kwame", "Amara", "Chidi", "Ngozi", "Diego",
  "Valentina", "Luis", "Ana", "José", "Lucía", "Sean", "Siobhan", "Erik", "Ingrid", "Noor", "Leila", "Dmitri",
  "Anya", "Tomás", "Renée", "Zoë", "Hannah", "Rachel", "Michael", "Sarah", "Jessica", "Christopher", "Ashley",
  "Matthew", "Jennifer", "Andrew", "Lauren", "Ryan", "Megan", "Tyler", "Kayla", "Brandon", "Nicole",
];

const LAST_NAMES = [
  "Garcia", "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Rodriguez", "Martinez",
  "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
  "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker",
  "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams",
  "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Kim", "Park", "Chen",
  "Wang", "Li", "Zhang", "Patel", "Shah", "Singh", "Khan", "Ali", "Okafor", "Mensah", "Adeyemi", "Tanaka",
  "Sato", "Suzuki", "Tran", "Pham", "O'Brien", "Murphy", "Kelly", "Sullivan", "Müller", "Schmidt", "Novak",
  "Kowalski", "Ivanova", "Rossi", "Bianchi", "Silva", "Santos", "Costa", "Cohen", "Levy", "Haddad", "Dubois",
  "Andersen", "Larsen", "Johansson",
];

const DOMAINS = ["example.com", "example.com", "example.com", "example.org", "example.org", "example.net"];

/** Lowercase ASCII for an e-mail local part: José → jose, O'Brien → obrien, Min-jun → minjun. */
function slugPart(s: string): string {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z]/g, "");
}

function drawIdentity(rng: Rng, params: DemoParams, nowMs: number): IdentityDraft {
  const first = pick(rng, FIRST_NAMES);
  const last = pick(rng, LAST_NAMES);
  const f = slugPart(first);
  const l = slugPart(last);

  const hasBirthday = bernoulli(rng, params.birthdayShare);
  // Ages 18–72, centred in the late thirties.
  const age = 18 + Math.round(54 * beta(rng, 2, 3.2));
  const birthYear = new Date(nowMs).getUTCFullYear() - age;
  const dayOfYear = uniformInt(rng, 0, 364);
  const birthday = hasBirthday ? new Date(Date.UTC(birthYear, 0, 1) + dayOfYear * DAY_MS).toISOString().slice(0, 10) : null;

  const style = rng();
  const nn = uniformInt(rng, 1, 99);
  let emailLocal: string;
  if (style < 0.3) emailLocal = `${f}.${l}`;
  else if (style < 0.5) emailLocal = `${f}.${l}${nn}`;
  else if (style < 0.6) emailLocal = `${f}${l}`;
  else if (style < 0.7) emailLocal = `${f[0]}${l}`;
  else if (style < 0.8) emailLocal = `${f}_${l}`;
  else if (style < 0.9) emailLocal = `${f}${birthYear}`;
  else emailLocal = `${f}.${l[0]}`;
  const emailDomain = pick(rng, DOMAINS);

  let externalId: string | null = null;
  if (bernoulli(rng, params.externalIdShare)) {
    // Half look like a Stripe customer id, half like a point-of-sale customer number.
    externalId = bernoulli(rng, 0.5) ? `cus_${randomAlnum(rng, 14)}` : "shop";
  }
  return { name: `${first} ${last}`, emailLocal, emailDomain, birthday, externalId };
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
function randomAlnum(rng: Rng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += ALNUM[Math.floor(rng() * ALNUM.length)];
  return s;
}

/** The first member to join gets the plain address; later namesakes get a numeric suffix. */
function uniqueEmail(local: string, domain: string, taken: Set<string>): string {
  const sep = /\d$/.test(local) ? "_" : "";
  let email = `${local}@${domain}`;
  for (let n = 2; taken.has(email); n++) email = `${local}${sep}${n}@${domain}`;
  taken.add(email);
  return email;
}

/** `cus_` ids are 14 random characters: a collision is practically impossible, but uniqueness is a DB constraint. */
function uniqueExternalId(id: string | null, taken: Set<string>): string | null {
  if (id === null) return null;
  let out = id;
  for (let n = 2; taken.has(out); n++) out = `${id}${n}`;
  taken.add(out);
  return out;
}
