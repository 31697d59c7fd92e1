import type { ProgramRegistration } from "~/domain/events/seam.server";
import { offerEarningPercentSql } from "./multiplier.server";

/** Offers on the event seam: a claimed "points multiplier" offer multiplies what an earning is worth while it runs. */
export const offersProgram: ProgramRegistration = {
  name: "offers",
  earning: {
    columns: (merchantId, memberId, at) => ({ percent: offerEarningPercentSql(merchantId, memberId, at) }),
    percent: (row) => Number(row.offers_percent),
  },
};
