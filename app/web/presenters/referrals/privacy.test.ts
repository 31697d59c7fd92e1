import { describe, expect, it } from "vitest";
import { firstNameOnly, friendLabel, levelCounts } from "./privacy";

describe("portal privacy helpers", () => {
  it.each([
    ["Ada Lovelace", "Ada L."],
    ["  grace   brewster murray hopper ", "grace H."],
    ["Zoë", "Zoë"],
    ["", "A friend"],
    [null, "A friend"],
    ["Émile zola", "Émile Z."],
  ])("friendLabel(%j) = %j", (name, label) => {
    expect(friendLabel(name)).toBe(label);
  });

  it("never returns more than a first name and an initial", () => {
    const label = friendLabel("Margaret Heafield Hamilton");
    expect(label).not.toContain("Heafield");
    expect(label).not.toContain("Hamilton");
  });

  it("shows the referrer's first name only", () => {
    expect(firstNameOnly("Ada Lovelace")).toBe("Ada");
    expect(firstNameOnly("   ")).toBe("A friend");
  });

  it("folds deep levels into one figure", () => {
    const levels = Array.from({ length: 8 }, (_, i) => ({ level: i + 1, count: 10 * (i + 1) }));
    expect(levelCounts(levels, 3)).toEqual({ levels: [{ level: 1, members: 10 }, { level: 2, members: 20 }, { level: 3, members: 30 }], beyond: 40 + 50 + 60 + 70 + 80 });
  });
});
