/**
 * The accrual bench's CPU-profile switch (ACCRUAL_BENCH_PROFILE=<file.cpuprofile>): the main thread — where the
 * in-process server runs; the HTTP clients' worker thread is not in it — profiled while the HTTP rounds run, then
 * ranked by self time and by subtree (a function's time with everything it called, each sample counted once per
 * function however deep the recursion). Not a benchmark itself (run.ts only picks up *.bench.ts).
 */
import fs from "node:fs";
import { Session } from "node:inspector/promises";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export class CpuProfiler {
  private session = new Session();
  private on = false;

  async start(): Promise<void> {
    this.session.connect();
    await this.session.post("Profiler.enable");
    // 250 µs: fine enough for per-request work of a few ms, coarse enough not to distort it much.
    await this.session.post("Profiler.setSamplingInterval", { interval: 250 });
    await this.session.post("Profiler.start");
    this.on = true;
  }

  async pause(): Promise<Profile | null> {
    if (!this.on) return null;
    this.on = false;
    const { profile } = await this.session.post("Profiler.stop");
    return profile as unknown as Profile;
  }

  async resume(): Promise<void> {
    await this.session.post("Profiler.start");
    this.on = true;
  }

  close(): void {
    this.session.disconnect();
  }
}

const frameKey = (n: ProfileNode) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url.replace(/^file:\/\//, "").replace(process.cwd() + "/", "");
  return `${functionName || "(anonymous)"} ${where}${where ? `:${lineNumber + 1}` : ""}`;
};

/** Writes the profiles merged (as separate files with a suffix after the first) and prints the rankings. */
export function reportProfiles(file: string, profiles: Profile[], orders: number): void {
  profiles.forEach((p, i) => fs.writeFileSync(i === 0 ? file : file.replace(/(\.cpuprofile)?$/, `.${i}$1`), JSON.stringify(p)));
  const self = new Map<string, number>();
  const subtree = new Map<string, number>();
  let busy = 0;
  for (const prof of profiles) {
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    prof.samples.forEach((id, i) => {
      const us = prof.timeDeltas[i] ?? 0;
      const node = byId.get(id)!;
      const name = node.callFrame.functionName;
      if (name === "(idle)") return;
      busy += us;
      self.set(frameKey(node), (self.get(frameKey(node)) ?? 0) + us);
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const k = frameKey(byId.get(cur)!);
        if (seen.has(k)) continue;
        seen.add(k);
        subtree.set(k, (subtree.get(k) ?? 0) + us);
      }
    });
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .filter(([k]) => !k.startsWith("(root)"))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / 1000 / orders).toFixed(3).padStart(6)} ms/order  ${k}`)
      .join("\n");
  console.log(`\nmain-thread CPU profile of the HTTP rounds (${file}): ${(busy / 1000 / orders).toFixed(2)} ms busy per order (sampled; idle left out)`);
  console.log(`self time:\n${top(self, 40)}`);
  console.log(`subtree time:\n${top(subtree, 60)}`);
}
