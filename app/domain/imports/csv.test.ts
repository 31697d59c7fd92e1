import { describe, expect, it } from "vitest";
import { normalizeHeader, resolveHeader, type ColumnMap } from "./columns";
import { csvCell, errorCsvLine, isBlankRecord, LineIndex, localMidnightMs, OrderIdTracker, parseAmount, parseOccurredAt, RowValidator, startLine } from "./csv";
import { planMembers } from "./members-plan";

const NOW = Date.parse("2026-11-22T12:00:00Z");
const ctx = (over: Partial<{ currency: string; timeZone: string }> = {}) => ({ currency: "USD", timeZone: "UTC", nowMs: NOW, ...over });

describe("resolveHeader", () => {
  it("matches aliases case-insensitively, with spaces, dashes or underscores", () => {
    const r = resolveHeader(["Customer ID", "E-Mail", "Order Date", "TOTAL", "Currency", "order id", "Name", "notes"]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.columns.customer).toEqual({ index: 0, header: "Customer ID" });
    expect(r.columns.email).toEqual({ index: 1, header: "E-Mail" });
    expect(r.columns.occurredAt?.index).toBe(2);
    expect(r.columns.amount?.index).toBe(3);
    expect(r.columns.orderId?.index).toBe(5);
    expect(r.ignored).toEqual(["notes"]);
    expect(normalizeHeader("  customer-id ")).toBe("customer_id");
  });

  it("accepts an e-mail column alone or a customer column alone", () => {
    expect(resolveHeader(["email", "date", "amount"]).ok).toBe(true);
    expect(resolveHeader(["external_id", "created_at", "order_total"]).ok).toBe(true);
  });

  it("names what is missing, the accepted aliases and the headers found", () => {
    const r = resolveHeader(["mail", "when", "amount"]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toContain("customer_id, customer id, external_id, customer");
    expect(r.message).toContain("email, customer_email, e-mail");
    expect(r.message).toContain("occurred-at column (occurred_at, date, order_date, created_at)");
    expect(r.message).toContain('Headers found: "mail", "when", "amount"');
    expect(r.message).not.toContain("amount column");
  });

  it("refuses two columns for one field", () => {
    const r = resolveHeader(["customer_id", "external_id", "date", "amount"]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('columns "customer_id" and "external_id" both give the customer id');
  });
});

describe("parseAmount", () => {
  const cases: Array<[string, string, number | string]> = [
    ["42.50", "USD", 4250],
    ["42.5", "USD", 4250],
    ["42", "USD", 4200],
    ["0", "USD", 0],
    ["007.05", "USD", 705],
    ["+3.10", "USD", 310],
    ["1000", "JPY", 1000],
    ["1.234", "KWD", 1234],
    ["-5.00", "USD", "negative"],
    ["42.505", "USD", "more than 2 decimal places for USD"],
    ["10.5", "JPY", "has decimals, but JPY has none"],
    ["1,234.50", "USD", "thousands separator"],
    ["1 234", "USD", "thousands separator"],
    ["42,50", "USD", "thousands separator"],
    ["$42", "USD", "is not a number"],
    ["1e5", "USD", "is not a number"],
    [".5", "USD", "is not a number"],
    ["", "USD", "amount is required"],
    ["99999999999999999999", "USD", "too large"],
    ["1000000001", "USD", "too large"],
  ];
  for (const [raw, currency, expected] of cases) {
    it(`${JSON.stringify(raw)} ${currency}`, () => {
      const r = parseAmount(raw, currency);
      if (typeof expected === "number") expect(r).toEqual({ ok: true, value: expected });
      else {
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.reason).toContain(expected);
      }
    });
  }
});

describe("parseOccurredAt", () => {
  const ok = (raw: string, tz = "UTC") => {
    const r = parseOccurredAt(raw, ctx({ timeZone: tz }));
    if (!r.ok) throw new Error(r.reason);
    return new Date(r.value).toISOString();
  };
  const bad = (raw: string) => {
    const r = parseOccurredAt(raw, ctx());
    if (r.ok) throw new Error(`accepted ${raw}`);
    return r.reason;
  };

  it("takes a date as midnight in the merchant's time zone", () => {
    expect(ok("2024-03-01")).toBe("2024-03-01T00:00:00.000Z");
    expect(ok("2024-03-01", "America/New_York")).toBe("2024-03-01T05:00:00.000Z");
    expect(ok("2024-07-01", "America/New_York")).toBe("2024-07-01T04:00:00.000Z");
    expect(ok("2024-07-01", "Asia/Tokyo")).toBe("2024-06-30T15:00:00.000Z");
    expect(ok("2024-02-29")).toBe("2024-02-29T00:00:00.000Z");
  });

  it("a day without a midnight (DST at 00:00) starts at 01:00", () => {
    // Santiago moved its clocks from 00:00 to 01:00 on 2023-09-03.
    expect(new Date(localMidnightMs(2023, 9, 3, "America/Santiago")).toISOString()).toBe("2023-09-03T04:00:00.000Z");
  });

  it("reads ISO date-times with an offset", () => {
    expect(ok("2024-03-01T14:30:00Z")).toBe("2024-03-01T14:30:00.000Z");
    expect(ok("2024-03-01T14:30:00+01:00")).toBe("2024-03-01T13:30:00.000Z");
    expect(ok("2024-03-01 14:30:00-0500")).toBe("2024-03-01T19:30:00.000Z");
    expect(ok("2024-03-01T14:30Z")).toBe("2024-03-01T14:30:00.000Z");
    expect(ok("2024-03-01T14:30:00.123456Z")).toBe("2024-03-01T14:30:00.123Z");
    expect(ok("2024-03-01T14:30:00+05")).toBe("2024-03-01T09:30:00.000Z");
  });

  it("refuses impossible, ambiguous and out-of-range dates", () => {
    expect(bad("2023-02-30")).toContain("does not exist");
    expect(bad("2023-13-01")).toContain("does not exist");
    expect(bad("2023-02-29T10:00:00Z")).toContain("does not exist");
    expect(bad("2023-01-01T24:00:00Z")).toContain("time");
    expect(bad("2023-01-01T10:00:00")).toContain("needs an offset");
    expect(bad("01/03/2024")).toContain("not a date like 2024-03-01");
    expect(bad("1969-12-31")).toContain("before 1970");
    expect(bad("2026-11-24")).toContain("in the future");
    expect(bad("2023-01-01T10:00:00+15:00")).toContain("offset");
    expect(bad("")).toBe("date is required");
    expect(ok("2026-11-23")).toBe("2026-11-23T00:00:00.000Z");
  });
});

describe("RowValidator", () => {
  const header = ["order_id", "customer_id", "email", "name", "date", "amount", "currency"];
  const columns = (resolveHeader(header) as { columns: ColumnMap }).columns;
  const v = new RowValidator(columns, ctx());
  const row = (over: Partial<Record<string, string>>) =>
    header.map((h) => over[h] ?? ({ order_id: "1043", customer_id: "CRM-1", email: "Maria@Example.com", name: "Maria", date: "2024-03-01", amount: "42.50", currency: "" } as Record<string, string>)[h]!);

  it("normalises a good row", () => {
    expect(v.validate(row({}))).toEqual({
      ok: true,
      row: { line: 0, externalId: "CRM-1", email: "maria@example.com", name: "Maria", occurredAtMs: Date.parse("2024-03-01T00:00:00Z"), amountMinor: 4250, currency: "USD", orderId: "1043" },
    });
    expect(v.validate(row({ currency: "usd", order_id: "" }))).toMatchObject({ ok: true, row: { currency: "USD", orderId: null } });
  });

  it("names the currency problems", () => {
    const reason = (c: string) => {
      const r = v.validate(row({ currency: c }));
      return r.ok ? null : r.errors.map((e) => `${e.column}: ${e.reason}`);
    };
    expect(reason("EUR")).toEqual(["currency: currency EUR does not match the merchant currency USD"]);
    expect(reason("XQQ")).toEqual(["currency: unknown currency XQQ"]);
    expect(reason("DOLLARS")).toEqual(['currency: currency "DOLLARS" is not a 3-letter code']);
  });

  it("reports every problem of a row with its column", () => {
    const r = v.validate(row({ customer_id: "", email: "", amount: "-1", date: "2023-02-30", name: "x".repeat(121), order_id: "o".repeat(201) }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.column)).toEqual(["customer_id / email", "name", "amount", "date", "order_id"]);
    expect(r.errors[0]!.reason).toBe("the row has neither a customer id nor an e-mail");
  });

  it("checks customer ids and e-mails with the member rules", () => {
    const bad = v.validate(row({ customer_id: "has space", email: "not-an-email" }));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.map((e) => e.column)).toEqual(["customer_id", "email"]);
    const long = v.validate(row({ customer_id: "c".repeat(201) }));
    expect(long.ok ? null : long.errors[0]!.reason).toContain("at most 200 characters");
  });
});

describe("OrderIdTracker", () => {
  it("remembers the first line of each order id", () => {
    const t = new OrderIdTracker();
    expect(t.claim("A", 2)).toBeUndefined();
    expect(t.claim("B", 3)).toBeUndefined();
    expect(t.claim("A", 9)).toBe(2);
  });

  it("derives the same ids for the same file, numbering identical rows", () => {
    const row = { externalId: "CRM-1", email: null, occurredAtMs: 1, amountMinor: 4250, currency: "USD" };
    const first = new OrderIdTracker();
    const ids = [first.derive(row), first.derive(row), first.derive({ ...row, amountMinor: 4251 })];
    const again = new OrderIdTracker();
    expect([again.derive(row), again.derive(row), again.derive({ ...row, amountMinor: 4251 })]).toEqual(ids);
    expect(ids[0]).toMatch(/^csv:[A-Za-z0-9_-]{22}$/);
    expect(ids[1]).toBe(`${ids[0]}:1`);
    expect(new Set(ids).size).toBe(3);
    expect(new OrderIdTracker().derive({ ...row, externalId: null, email: "CRM-1" })).not.toBe(ids[0]);
  });
});

describe("line numbers", () => {
  it("counts lines from byte offsets, CRLF and quoted newlines included", () => {
    const text = "a,b\r\n1,2\r\n\r\n3,\"x\r\ny\"\r\n4,5";
    const buf = Buffer.from(text);
    const idx = new LineIndex();
    idx.feed(buf.subarray(0, 7));
    idx.feed(buf.subarray(7));
    expect(idx.lineEndingAt(5)).toBe(1);
    expect(idx.lineEndingAt(10)).toBe(2);
    const end = text.indexOf('y"\r\n') + 4;
    expect(startLine(idx.lineEndingAt(end), ["3", "x\r\ny"])).toBe(4);
    expect(idx.lineEndingAt(buf.length)).toBe(6);
  });

  it("treats rows of empty cells as blank", () => {
    expect(isBlankRecord(["", " ", ""])).toBe(true);
    expect(isBlankRecord(["", "x"])).toBe(false);
  });
});

describe("planMembers", () => {
  const cols = { customer: "customer_id", email: "email" };
  let n = 0;
  const nextId = () => `mbr_new${++n}`;
  const r = (line: number, externalId: string | null, email: string | null, name: string | null = null) => ({ line, externalId, email, name });

  it("matches by customer id first, then e-mail; creates the rest once", () => {
    n = 0;
    const plan = planMembers(
      [r(2, "C1", "x@example.com"), r(3, null, "known@example.com"), r(4, "C9", "new@example.com", "New"), r(5, "C9", null), r(6, null, "new@example.com")],
      [{ id: "mbr_a", email: "Known@Example.com", external_id: null }, { id: "mbr_b", email: "b@example.com", external_id: "C1" }],
      nextId,
      cols,
    );
    expect(plan.memberIds).toEqual(["mbr_b", "mbr_a", "mbr_new1", "mbr_new1", "mbr_new1"]);
    expect(plan.creates).toEqual([{ id: "mbr_new1", email: "new@example.com", externalId: "C9", name: "New" }]);
    expect(plan.links).toEqual([]);
    expect(plan.errors).toEqual([]);
  });

  it("links a member without an external id to the row's customer id", () => {
    const plan = planMembers([r(2, "C7", "known@example.com"), r(3, "C7", null)], [{ id: "mbr_a", email: "known@example.com", external_id: null }], nextId, cols);
    expect(plan.memberIds).toEqual(["mbr_a", "mbr_a"]);
    expect(plan.links).toEqual([{ id: "mbr_a", externalId: "C7" }]);
  });

  it("gives a created member the customer id of a later row with its e-mail", () => {
    n = 0;
    const plan = planMembers([r(2, null, "n@example.com"), r(3, "C5", "n@example.com")], [], nextId, cols);
    expect(plan.creates).toEqual([{ id: "mbr_new1", email: "n@example.com", externalId: "C5", name: null }]);
    expect(plan.links).toEqual([]);
  });

  it("refuses an e-mail owned by another customer id, and an unknown customer id without e-mail", () => {
    const plan = planMembers([r(2, "C2", "b@example.com"), r(3, "C3", null)], [{ id: "mbr_b", email: "b@example.com", external_id: "C1" }], nextId, cols);
    expect(plan.memberIds).toEqual([null, null]);
    expect(plan.errors).toEqual([
      { line: 2, column: "email", reason: "e-mail b@example.com belongs to a member with another customer id (C1)" },
      { line: 3, column: "customer_id", reason: "no member has customer id C3, and the row has no e-mail to create one" },
    ]);
  });
});

describe("error report", () => {
  it("quotes CSV cells and defuses formulas", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('say "hi", ok')).toBe('"say ""hi"", ok"');
    expect(csvCell("=HYPERLINK(1)")).toBe(`"'=HYPERLINK(1)"`);
    expect(csvCell(null)).toBe("");
    expect(errorCsvLine({ line: 7, column: "amount", reason: "amount -5 is negative" })).toBe("7,amount,amount -5 is negative\n");
  });
});
