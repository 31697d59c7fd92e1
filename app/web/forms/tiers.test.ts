import { describe, expect, it } from "vitest";
import { tierFormSchema, tierProgramToForm } from "./tiers";

const schema = tierFormSchema({ currency: "USD" });
const row = (name: string, threshold: string, extra: Record<string, string> = {}) => ({ name, threshold, earningPercent: "100", birthdayBonus: "0", ...extra });
const errorsOf = (input: unknown) => {
  const r = schema.safeParse(input);
  return r.success ? {} : Object.fromEntries(r.error.issues.map((i) => [i.path.join("."), i.message]));
};

describe("tier form", () => {
  it("parses spend thresholds in major units and ranks tiers by their order", () => {
    const r = schema.parse({ basis: "spend", window: "calendar_year", graceDays: "14", downgrade: "one_step", tiers: [row("Bean", "0"), row("Roast", "250.50", { exclusiveAccess: "on", earningPercent: "150" })] });
    expect(r.settings).toEqual({ basis: "spend", window: "calendar_year", graceDays: 14, downgrade: "one_step" });
    expect(r.tiers.map((t) => [t.name, t.threshold, t.earningPercent, t.exclusiveAccess])).toEqual([
      ["Bean", 0, 100, false],
      ["Roast", 25_050, 150, true],
    ]);
  });

  it("puts each error on its field: increasing thresholds, names, percents, grace", () => {
    expect(
      errorsOf({
        basis: "points",
        window: "weekly",
        graceDays: "91",
        downgrade: "one_step",
        tiers: [row("Bean", "100"), row("bean", "100"), row("", "1.5", { earningPercent: "90" })],
      }),
    ).toEqual({
      window: "Choose the qualification window",
      graceDays: "Grace period must be a whole number of days from 0 to 90",
      "tiers.1.name": '"bean" is already the name of tier 1',
      "tiers.1.threshold": "Threshold must be higher than the tier below",
      "tiers.2.name": "Name is required (up to 60 characters)",
      "tiers.2.threshold": "Threshold must be a whole number of points",
      "tiers.2.earningPercent": "Earning multiplier must be a whole percent from 100 (none) to 1000",
    });
  });

  it("round-trips a saved program through the form", () => {
    const program = {
      settings: { basis: "spend" as const, window: "rolling_12m" as const, graceDays: 0, downgrade: "to_qualified" as const },
      tiers: [{ id: "tie_1", name: "Roast", rank: 1, threshold: 15_000, earningPercent: 125, exclusiveAccess: true, birthdayBonus: 100, perks: "Oat milk" }],
    };
    const parsed = schema.parse(tierProgramToForm(program, "USD"));
    expect(parsed).toEqual({ settings: program.settings, tiers: [{ id: "tie_1", name: "Roast", threshold: 15_000, earningPercent: 125, exclusiveAccess: true, birthdayBonus: 100, perks: "Oat milk" }] });
  });
});
