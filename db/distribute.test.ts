import { describe, expect, it } from "vitest";
import { planDistribution, verifyDistribution, type CatalogSnapshot, type SnapshotForeignKey, type SnapshotTable } from "./distribute";

/** The planner on a small hand-made catalog; the real schema is covered by tests/integration/system/distribute.test.ts. */

const table = (name: string, tenant: boolean, extra: Partial<SnapshotTable> = {}): SnapshotTable => ({
  name,
  columns: tenant ? { merchant_id: "text", id: "text" } : { id: "text" },
  uniques: [{ name: `${name}_pkey`, columns: tenant ? ["merchant_id", "id"] : ["id"] }],
  citus: null,
  ...extra,
});
const fk = (name: string, from: string, cols: string[], to: string, refCols: string[], onDelete: SnapshotForeignKey["onDelete"] = "a"): SnapshotForeignKey => ({
  name,
  table: from,
  columns: cols,
  refTable: to,
  refColumns: refCols,
  onDelete,
  onUpdate: "a",
  definition: `FOREIGN KEY (${cols.join(", ")}) REFERENCES ${to}(${refCols.join(", ")})`,
});

function catalog(over: Partial<CatalogSnapshot> = {}): CatalogSnapshot {
  return {
    database: "perennial",
    citus: true,
    settings: {},
    appRole: { name: "perennial_app", canLogin: false },
    tables: [table("merchants", false), table("members", true), table("orders", true), table("audit_notes", false, { columns: { id: "text", order_id: "text" } })],
    foreignKeys: [
      fk("members_merchant", "members", ["merchant_id"], "merchants", ["id"], "c"),
      fk("orders_member", "orders", ["merchant_id", "member_id"], "members", ["merchant_id", "id"]),
      fk("orders_any_member", "orders", ["member_id"], "members", ["id"]),
      fk("notes_order", "audit_notes", ["order_id"], "orders", ["id"]),
    ],
    pendingForeignKeys: null,
    triggers: [],
    functions: [],
    citusLocalTables: [],
    ...over,
  };
}

describe("planDistribution", () => {
  it("drops every key, re-creates those Citus accepts and reports the others", () => {
    const plan = planDistribution(catalog());
    expect(plan.blockers).toEqual([]);
    expect(plan.steps.filter((s) => s.kind === "add-fk").map((s) => s.target)).toEqual(["members.members_merchant", "orders.orders_member"]);
    expect(plan.droppedForGood.map((d) => [d.name, d.reason])).toEqual([
      ["orders_any_member", "a foreign key between two distributed tables must map merchant_id to merchant_id (it would cross shards)"],
      ["notes_order", "Citus refuses a foreign key from a reference table to a distributed table"],
    ]);
  });

  it("after a run that stopped half-way, re-creates the remembered keys and distributes only what is left", () => {
    const c = catalog();
    const plan = planDistribution({
      ...c,
      settings: { "citus.propagate_set_commands": "local", "citus.enable_unsafe_triggers": "on" },
      appRole: { name: "perennial_app", canLogin: true },
      tables: c.tables.map((t) => (t.name === "merchants" ? { ...t, citus: { type: "reference" as const, column: null, colocationId: 1 } } : t.name === "members" ? { ...t, citus: { type: "distributed" as const, column: "merchant_id", colocationId: 4 } } : t)),
      foreignKeys: [],
      pendingForeignKeys: c.foreignKeys,
    });
    expect(plan.steps.map((s) => `${s.kind} ${s.target}`)).toEqual([
      "reference audit_notes",
      "distribute orders",
      "add-fk members.members_merchant",
      "add-fk orders.orders_member",
      "forget-fk orders.orders_any_member",
      "forget-fk audit_notes.notes_order",
      "cleanup perennial_distribute",
    ]);
    expect(plan.steps.find((s) => s.kind === "distribute")!.sql).toBe("select create_distributed_table('orders', 'merchant_id', colocate_with := 'members')");
  });

  it("stops on what Citus would refuse", () => {
    const plan = planDistribution(catalog({ tables: [table("merchants", false), table("members", true, { uniques: [{ name: "members_email_key", columns: ["email"] }] })], foreignKeys: [] }));
    expect(plan.blockers).toEqual([expect.stringMatching(/^members: unique constraint members_email_key \(email\) does not include merchant_id/)]);
  });

  it("verification says what is missing", () => {
    const v = verifyDistribution(catalog());
    expect(v.ok).toBe(false);
    expect(v.lines).toContain("FAIL 0/2 tenant tables distributed by merchant_id; not: members, orders");
    expect(verifyDistribution(catalog({ citus: false })).lines).toEqual(["FAIL the citus extension is not installed"]);
  });
});
