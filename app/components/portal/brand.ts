/** Only hex colours reach the page, so a merchant setting cannot smuggle CSS into the portal's style attribute. */
export const DEFAULT_PORTAL_COLOR = "#7c4a2d";

export function portalColor(value: unknown): string {
  return typeof value === "string" && /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(value) ? value : DEFAULT_PORTAL_COLOR;
}

/** The merchant's portal tagline, when it is set to text; capped so a long value cannot stretch the page. */
export function portalTagline(settings: { portalTagline?: unknown } | null | undefined): string | null {
  return typeof settings?.portalTagline === "string" ? settings.portalTagline.slice(0, 200) : null;
}

/** Black or white text, whichever reads better on `hex` (WCAG relative luminance). */
export function onColor(hex: string): string {
  const h = hex.length === 4 ? hex.replace(/^#(.)(.)(.)$/, "#$1$1$2$2$3$3") : hex;
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(h.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Contrast against white (1.05 / (L + 0.05)) vs against near-black: pick the larger.
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? "#ffffff" : "#1c1917";
}
