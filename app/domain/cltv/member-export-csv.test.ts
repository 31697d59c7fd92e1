import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { MEMBER_SCORES_COLUMNS, MEMBER_SCORES_HEADER, memberScoresCsvLines, type ScoredMemberRow } from "./member-export-csv";

const row: ScoredMemberRow = {
  member_id: "mbr_aaaaaaaaaaaaaaaaaaaaaaaaaa",
  external_id: null,
  email: "ada@example.com",
  name: "+1 Ada, \"the\" Countess",
  status: "blocked",
  order_count: 4,
  lifetime_spend_minor: 123_456,
  predicted_purchases_12m: 1.234567,
  p_alive: 0.987654,
  expected_order_minor: 2_505,
  cltv_12m_minor: 9_999,
  cltv_24m_minor: 15_000,
  cltv_36m_minor: 20_001,
  cltv_percentile: 87.6543,
  value_segment: "top",
  at_risk: false,
  scored_at: new Date("2026-11-23T03:23:00Z"),
  cltv_model_id: "clm_bbbbbbbbbbbbbbbbbbbbbbbbbb",
};

describe("per-member CLTV CSV lines", () => {
  it("writes major units with the currency's decimals, rounded rates, and quoted, defused text", () => {
    const text = MEMBER_SCORES_HEADER + memberScoresCsvLines("USD")([row]);
    const [parsed] = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(parsed!)).toEqual([...MEMBER_SCORES_COLUMNS]);
    expect(parsed).toMatchObject({
      external_id: "",
      name: "'+1 Ada, \"the\" Countess",
      status: "blocked",
      lifetime_spend: "1234.56",
      currency: "USD",
      predicted_purchases_12m: "1.2346",
      p_alive: "0.9877",
      expected_order_value: "25.05",
      cltv_12m: "99.99",
      cltv_24m: "150.00",
      cltv_36m: "200.01",
      cltv_percentile: "87.65",
      at_risk: "false",
      scored_at: "2026-11-23T03:23:00.000Z",
    });
  });

  it("follows the currency: no decimals for JPY, three for BHD", () => {
    const cells = (currency: string) => (parse(memberScoresCsvLines(currency)([row])) as string[][])[0]!;
    const jpy = cells("JPY");
    expect([jpy[6], jpy[7], jpy[11]]).toEqual(["123456", "JPY", "9999"]);
    const bhd = cells("BHD");
    expect([bhd[6], bhd[7], bhd[11]]).toEqual(["123.456", "BHD", "9.999"]);
  });

  it("leaves unknown values empty", () => {
    const line = memberScoresCsvLines("USD")([{ ...row, name: null, at_risk: null, p_alive: null, cltv_percentile: null }]);
    const [parsed] = parse(MEMBER_SCORES_HEADER + line, { columns: true }) as Array<Record<string, string>>;
    expect(parsed).toMatchObject({ name: "", at_risk: "", p_alive: "", cltv_percentile: "" });
  });
});
