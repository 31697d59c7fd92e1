/**
 * What one member may see of another in the portal: a first name and the initial of the last name ("Ada L."),
 * never an e-mail, a full name or anything else. Pure and unit-tested, since it is the privacy boundary.
 */
export function friendLabel(name: string | null | undefined): string {
  const parts = (name ?? "").trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return "A friend";
  const first = [...parts[0]!].slice(0, 30).join("");
  if (parts.length === 1) return first;
  const initial = [...parts[parts.length - 1]!][0]!.toUpperCase();
  return `${first} ${initial}.`;
}

/** A referrer's name on the landing page: the first name only (or "A friend"). */
export function firstNameOnly(name: string | null | undefined): string {
  const first = (name ?? "").trim().split(/\s+/)[0];
  return first ? [...first].slice(0, 30).join("") : "A friend";
}

/** Network counts by level for the portal: levels 1..`shown`, then everything deeper as one "beyond" figure. */
export function levelCounts(levels: Array<{ level: number; count: number }>, shown = 5): { levels: Array<{ level: number; members: number }>; beyond: number } {
  const out = levels.filter((l) => l.level >= 1 && l.level <= shown).map((l) => ({ level: l.level, members: l.count }));
  const beyond = levels.filter((l) => l.level > shown).reduce((t, l) => t + l.count, 0);
  return { levels: out, beyond };
}
