/** The one clock auth code reads, so expiry and throttling can be tested with a fake clock (S2). */
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
