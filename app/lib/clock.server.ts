/**
 * The application's clock: sessions and throttling (S2), the ledger, earning, rewards, referrals, tiers, CLTV and
 * their jobs read `now()`, so a test can move time with `advanceClock`. The offset lives in this
 * process only: the database's `now()` does not move, nor does code that still calls `Date.now()` / `new Date()`
 * itself (parts of offers, segments, experiments, imports and e-mail delivery).
 */
let offsetMs = 0;
export function now(): Date {
  return new Date(Date.now() + offsetMs);
}
export function advanceClock(ms: number) {
  offsetMs += ms;
}
export function resetClock() {
  offsetMs = 0;
}
