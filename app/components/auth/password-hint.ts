/** Shown under every new-password field, matching passwordSchema (8–128 characters, any characters). */
export const NEW_PASSWORD_HINT = "8 to 128 characters. A long passphrase is easier to remember and harder to guess.";
