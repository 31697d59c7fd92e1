import type { ProgramRegistration } from "~/domain/events/seam.server";
import { heldOutFromRow, programHoldoutSql, type ProgramHoldoutRow } from "./assignment.server";

/**
 * The loyalty holdout on the event seam (issue 6): members held out of the program earn nothing. Its experiment and
 * the member's arm are a lateral join of the earning context statement (columns `hx_*`); a member seen for the first
 * time is assigned then, in the same transaction.
 */
export const loyaltyHoldoutProgram: ProgramRegistration = {
  name: "holdout",
  earning: {
    columns: () => ({}),
    lateral: (merchantId, memberId) => programHoldoutSql(merchantId, "loyalty_program", memberId),
    holdsOut: ({ trx, merchantId, memberId }, row) => heldOutFromRow(trx, merchantId, memberId, row as unknown as ProgramHoldoutRow),
  },
};
