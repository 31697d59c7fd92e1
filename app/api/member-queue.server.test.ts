import { describe, expect, it } from "vitest";
import { queuedMembers, serialisePerMember } from "./member-queue.server";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("serialisePerMember", () => {
  it("runs one member's writes one at a time, in arrival order", async () => {
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    await Promise.all(
      [30, 5, 15, 0].map((ms, i) =>
        serialisePerMember("m", "a", async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          log.push(`start ${i}`);
          await sleep(ms);
          log.push(`end ${i}`);
          running--;
        }),
      ),
    );
    expect(maxRunning).toBe(1);
    expect(log).toEqual(["start 0", "end 0", "start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
    expect(queuedMembers()).toBe(0);
  });

  it("different members (and merchants) run side by side", async () => {
    let running = 0;
    let maxRunning = 0;
    const work = async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(10);
      running--;
    };
    await Promise.all([serialisePerMember("m", "a", work), serialisePerMember("m", "b", work), serialisePerMember("n", "a", work)]);
    expect(maxRunning).toBe(3);
  });

  it("a failing write passes its error on and does not block the next one", async () => {
    const failed = serialisePerMember("m", "c", async () => {
      throw new Error("boom");
    });
    const next = serialisePerMember("m", "c", async () => "ok");
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ok");
    expect(queuedMembers()).toBe(0);
  });
});
