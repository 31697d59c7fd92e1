/** Lifetimes of account e-mails' links, shared by the domain (server) and the pages that mention them (browser). */
export const RESET_TTL_MINUTES = 60;
export const INVITE_TTL_DAYS = 7;
/** At most one password-reset e-mail per account per minute, so the forms cannot flood an inbox. */
export const RESET_EMAIL_INTERVAL_MS = 60_000;
