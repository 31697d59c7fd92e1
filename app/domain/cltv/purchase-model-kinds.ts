/** The purchase-count models a merchant's CLTV can be scored with (names only: the UI imports this without the maths). */
/** The continuous-time models, compared by holdout error for every merchant. */
export const PURCHASE_MODEL_KINDS = ["bgnbd", "mbgnbd", "pareto_nbd"] as const;
/** BG/BB scores only merchants whose purchase opportunities are discrete (Settings › CLTV), never by the comparison. */
export type PurchaseModelKind = (typeof PURCHASE_MODEL_KINDS)[number] | "bgbb";

export const PURCHASE_MODEL_LABELS: Record<PurchaseModelKind, string> = { bgnbd: "BG/NBD", mbgnbd: "MBG/NBD", pareto_nbd: "Pareto/NBD", bgbb: "BG/BB" };
