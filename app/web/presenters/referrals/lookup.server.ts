import { sql } from "kysely";
import { db } from "~/db.server";
import { normalizeCode } from "~/domain/referrals/codes";

export interface CodeMerchant {
  slug: string;
  name: string;
}

/**
 * Which programs have a member with this code: the short link /r/<code> does not name the merchant, and codes are
 * unique per merchant only. referral_codes is tenant-scoped (RLS), so the lookup goes through the narrow
 * SECURITY DEFINER door referral_code_merchants, which returns only the programs' slugs and names.
 */
export async function merchantsWithCode(rawCode: string): Promise<CodeMerchant[]> {
  const code = normalizeCode(rawCode);
  if (!code) return [];
  const res = await sql<CodeMerchant>`select slug, name from referral_code_merchants(${code})`.execute(db());
  return res.rows;
}
