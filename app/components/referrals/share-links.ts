/**
 * Share links for the "Refer a friend" page: each app's public "compose a message" URL with the member's link and
 * a short text filled in. Plain links (no SDKs, no tracking scripts); the member's browser opens the app.
 */
export interface ShareLink {
  key: "whatsapp" | "x" | "facebook" | "sms" | "email";
  label: string;
  href: string;
}

export function shareMessage(programName: string, offer: string | null): string {
  return offer ? `Join me at ${programName}: ${offer}` : `Join me at ${programName} rewards`;
}

export function shareLinks(url: string, programName: string, offer: string | null): ShareLink[] {
  const text = shareMessage(programName, offer);
  const e = encodeURIComponent;
  return [
    { key: "whatsapp", label: "WhatsApp", href: `https://wa.me/?text=${e(`${text} ${url}`)}` },
    { key: "x", label: "X (Twitter)", href: `https://twitter.com/intent/tweet?text=${e(text)}&url=${e(url)}` },
    { key: "facebook", label: "Facebook", href: `https://www.facebook.com/sharer/sharer.php?u=${e(url)}` },
    // `sms:?&body=` is the form both iOS and Android accept.
    { key: "sms", label: "Text message", href: `sms:?&body=${e(`${text} ${url}`)}` },
    { key: "email", label: "E-mail", href: `mailto:?subject=${e(text)}&body=${e(`${text}\n\n${url}`)}` },
  ];
}
