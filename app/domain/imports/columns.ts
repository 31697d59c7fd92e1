/**
 * The columns an order import understands, matched by header name (case-insensitive; spaces, dashes and underscores
 * are interchangeable). Pure and browser-safe: the upload screen shows the same table the importer uses.
 */

export type ImportField = "customer" | "email" | "occurredAt" | "amount" | "currency" | "orderId" | "name";

export interface ColumnSpec {
  field: ImportField;
  /** How the admin screen and error messages name the column. */
  label: string;
  aliases: readonly string[];
  required: "yes" | "no" | "customer-or-email";
  help: string;
}

export const IMPORT_COLUMNS: readonly ColumnSpec[] = [
  {
    field: "customer",
    label: "customer id",
    aliases: ["customer_id", "customer id", "external_id", "customer"],
    required: "customer-or-email",
    help: "Your own id for the customer (visible ASCII, up to 200 characters). Matches the member's external id.",
  },
  {
    field: "email",
    label: "e-mail",
    aliases: ["email", "customer_email", "e-mail"],
    required: "customer-or-email",
    help: "The customer's e-mail. A member is created when no member has this customer id or e-mail.",
  },
  {
    field: "occurredAt",
    label: "occurred-at",
    aliases: ["occurred_at", "date", "order_date", "created_at"],
    required: "yes",
    help: "A date (2024-03-01, taken as midnight in the merchant's time zone) or a date and time with an offset (2024-03-01T14:30:00Z, 2024-03-01T14:30:00+01:00). From 1970 to tomorrow.",
  },
  {
    field: "amount",
    label: "amount",
    aliases: ["amount", "total", "order_total"],
    required: "yes",
    help: "The order total in major units with a decimal point (42.50), at most as many decimals as the currency has, no thousands separators, not negative.",
  },
  {
    field: "currency",
    label: "currency",
    aliases: ["currency"],
    required: "no",
    help: "A 3-letter code; must be the merchant's currency. Empty or missing means the merchant's currency.",
  },
  {
    field: "orderId",
    label: "order id",
    aliases: ["order_id", "order id", "id", "external_order_id"],
    required: "no",
    help: "Your order number (up to 200 characters). Without it, an id is derived from the row, so a re-import still skips what is already there.",
  },
  {
    field: "name",
    label: "name",
    aliases: ["name"],
    required: "no",
    help: "The customer's name, used only when the member is created (up to 120 characters).",
  },
];

export const SAMPLE_CSV = [
  "order_id,customer_id,email,name,date,amount,currency",
  "1043,CRM-881,maria@example.com,Maria Garcia,2024-03-01,42.50,USD",
  '1044,CRM-902,wei@example.com,"Chen, Wei",2024-03-01T14:30:00+01:00,19.99,',
  "1045,CRM-881,,,2024-03-09,7.00,USD",
].join("\n");

/** "Customer ID", "customer-id" and "customer_id" are the same header. */
export function normalizeHeader(h: string): string {
  return h.trim().toLowerCase().replace(/[\s_-]+/g, "_");
}

const BY_ALIAS = new Map<string, ColumnSpec>(IMPORT_COLUMNS.flatMap((c) => c.aliases.map((a) => [normalizeHeader(a), c] as const)));

export type ColumnMap = Partial<Record<ImportField, { index: number; header: string }>>;

export type HeaderResult = { ok: true; columns: ColumnMap; ignored: string[] } | { ok: false; message: string };

const aliasList = (c: ColumnSpec) => c.aliases.join(", ");

/** Maps a header row to fields; a missing required column or two columns for one field fail the whole import. */
export function resolveHeader(headers: readonly string[]): HeaderResult {
  const columns: ColumnMap = {};
  const ignored: string[] = [];
  const clashes: string[] = [];
  headers.forEach((raw, index) => {
    const header = raw.trim();
    if (!header) return;
    const spec = BY_ALIAS.get(normalizeHeader(header));
    if (!spec) {
      ignored.push(header);
      return;
    }
    const taken = columns[spec.field];
    if (taken) clashes.push(`columns "${taken.header}" and "${header}" both give the ${spec.label}; keep one of them`);
    else columns[spec.field] = { index, header };
  });

  const missing: string[] = [];
  if (!columns.customer && !columns.email) {
    const c = IMPORT_COLUMNS.find((s) => s.field === "customer")!;
    const e = IMPORT_COLUMNS.find((s) => s.field === "email")!;
    missing.push(`a customer id column (${aliasList(c)}) or an e-mail column (${aliasList(e)})`);
  }
  for (const spec of IMPORT_COLUMNS) {
    if (spec.required === "yes" && !columns[spec.field]) missing.push(`the ${spec.label} column (${aliasList(spec)})`);
  }
  if (missing.length || clashes.length) {
    const found = headers.map((h) => h.trim()).filter(Boolean);
    const parts = [
      ...(missing.length ? [`Missing ${missing.join("; ")}.`] : []),
      ...(clashes.length ? [`Ambiguous header: ${clashes.join("; ")}.`] : []),
      `Headers found: ${found.length ? found.map((h) => `"${h}"`).join(", ") : "none"}.`,
    ];
    return { ok: false, message: parts.join(" ") };
  }
  return { ok: true, columns, ignored };
}
