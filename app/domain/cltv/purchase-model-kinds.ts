/** The purchase-count models a merchant's CLTV can be scored with (names only: the UI imports this without the maths). */
export const PURCHASE_MODEL_KINDS = ["bgnbd", "mbgnbd", "pareto_nbd"] as const;
export type PurchaseModelKind = (typeof PURCHASE_MODEL_KINDS)[number];

export const PURCHASE_MODEL_LABELS: Record<PurchaseModelKind, string> = { bgnbd: "BG/NBD", mbgnbd: "MBG/NBD", pareto_nbd: "Pareto/NBD" };
