/**
 * Runs writes to one member's points one at a time within this process. The database's row lock on the member's
 * balance is what guarantees correctness (across processes too); this queue only keeps the waiting in front of the
 * transaction: a waiting request holds no pool connection and no open transaction, and the lock holder's statements
 * are not delayed by dozens of blocked transactions' traffic — which keeps the tail latency of many concurrent
 * debits on one member short (tests/bench/debits.bench.ts).
 */
const tails = new Map<string, Promise<void>>();

export async function serialisePerMember<T>(merchantId: string, memberId: string, fn: () => Promise<T>): Promise<T> {
  const key = `${merchantId}:${memberId}`;
  const previous = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    // The last one out removes the entry, so the map holds only members with writes in flight.
    if (tails.get(key) === tail) tails.delete(key);
  }
}

/** Members with writes in flight or waiting (for tests). */
export function queuedMembers(): number {
  return tails.size;
}
