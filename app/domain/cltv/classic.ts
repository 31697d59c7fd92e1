/**
 * The practitioners' CLV formulas, shown beside the model so a merchant can see where they differ and why
 * (pure; inputs come from report.server.ts). Money in minor units; rates as fractions; rounding only at the end.
 *
 *  1. ARPU × gross margin × expected lifetime
 *  2. (average order × purchase frequency × lifespan) − (acquisition cost + retention cost per year × lifespan)
 *  3. CLV = LTV × margin, LTV = average order × purchase frequency × lifespan (revenue)
 *
 * Expected lifetime / lifespan = 1 ÷ annual churn, churn = the share of last year's customers who did not buy again
 * in the 12 months since. Undefined (null) when there is no earlier year to measure churn on, or nobody churned.
 */
export interface ClassicInputs {
  /** Net revenue in the last 12 months, minor units. */
  revenueMinor: number;
  /** Orders in the last 12 months. */
  orders: number;
  /** Members who bought in the last 12 months. */
  activeCustomers: number;
  /** Members with an order before the last 12 months, and how many of them bought again in it. */
  priorCustomers: number;
  retainedCustomers: number;
  grossMargin: number;
  acquisitionCostMinor: number;
  retentionCostMinorPerYear: number;
}

export interface ClassicFigures {
  arpuMinor: number | null;
  averageOrderMinor: number | null;
  /** Orders per active customer per year. */
  purchaseFrequency: number | null;
  annualChurn: number | null;
  /** Years. */
  expectedLifetime: number | null;
  /** ARPU × margin × lifetime. */
  arpuFormulaMinor: number | null;
  /** Revenue LTV: average order × frequency × lifespan. */
  ltvMinor: number | null;
  /** LTV − (acquisition + retention × lifespan). */
  ltvNetOfCostsMinor: number | null;
  /** LTV × margin. */
  clvMinor: number | null;
}

export function classicFigures(i: ClassicInputs): ClassicFigures {
  const arpu = i.activeCustomers > 0 ? i.revenueMinor / i.activeCustomers : null;
  const aov = i.orders > 0 ? i.revenueMinor / i.orders : null;
  const frequency = i.activeCustomers > 0 ? i.orders / i.activeCustomers : null;
  const churn = i.priorCustomers > 0 ? 1 - i.retainedCustomers / i.priorCustomers : null;
  const lifetime = churn !== null && churn > 0 ? 1 / churn : null;
  const ltv = aov !== null && frequency !== null && lifetime !== null ? aov * frequency * lifetime : null;
  const round = (v: number | null) => (v === null ? null : Math.round(v));
  return {
    arpuMinor: round(arpu),
    averageOrderMinor: round(aov),
    purchaseFrequency: frequency,
    annualChurn: churn,
    expectedLifetime: lifetime,
    arpuFormulaMinor: round(arpu !== null && lifetime !== null ? arpu * i.grossMargin * lifetime : null),
    ltvMinor: round(ltv),
    ltvNetOfCostsMinor: round(ltv !== null && lifetime !== null ? ltv - (i.acquisitionCostMinor + i.retentionCostMinorPerYear * lifetime) : null),
    clvMinor: round(ltv !== null ? ltv * i.grossMargin : null),
  };
}
