/** The median wall time (ms) of `runs` calls of `fn`, after `warmup` calls that are not timed (JIT, caches, plans). */
export async function medianMs(fn: () => Promise<unknown>, opts: { runs: number; warmup: number }): Promise<number> {
  for (let i = 0; i < opts.warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  // The middle one, or the mean of the two middle ones for an even count.
  return (times[Math.floor((opts.runs - 1) / 2)]! + times[Math.ceil((opts.runs - 1) / 2)]!) / 2;
}
