import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { env } from "~/lib/env.server";

/**
 * Secrets at rest (merchants' Stripe keys): AES-256-GCM with a random 96-bit IV per encryption, stored as
 * `v1:<iv b64>:<tag b64>:<ciphertext b64>`. The version prefix leaves room for a new algorithm or key without
 * guessing. The merchant id and the purpose are bound as additional authenticated data, so a ciphertext copied to
 * another merchant's row, or from the API-key column to the webhook-secret column, does not decrypt.
 *
 * The key is ENCRYPTION_KEY (64 hex characters). Without it — the two-command local setup — a random key is
 * generated once into `${DATA_DIR}/encryption.key` (mode 0600) and reused; production should set ENCRYPTION_KEY.
 */

export type SecretPurpose = "stripe.api_key" | "stripe.webhook_secret";
export interface SecretContext {
  merchantId: string;
  purpose: SecretPurpose;
}

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_FILE = "encryption.key";

let cachedKey: Buffer | undefined;

export class DecryptionError extends Error {
  constructor(message = "The secret could not be decrypted (wrong key, or the value was tampered with)") {
    super(message);
    this.name = "DecryptionError";
  }
}

function aad(ctx: SecretContext): Buffer {
  return Buffer.from(`perennial:${VERSION}:${ctx.merchantId}:${ctx.purpose}`, "utf8");
}

export function encryptSecret(plaintext: string, ctx: SecretContext): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", encryptionKey(), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(ctx));
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, iv.toString("base64"), cipher.getAuthTag().toString("base64"), ct.toString("base64")].join(":");
}

/** Throws DecryptionError for anything that is not a value this key encrypted for this merchant and purpose. */
export function decryptSecret(stored: string, ctx: SecretContext): string {
  const parts = stored.split(":");
  if (parts.length !== 4 || parts[0] !== VERSION) throw new DecryptionError("Unknown encrypted-secret format");
  const [, ivB64, tagB64, ctB64] = parts as [string, string, string, string];
  const iv = Buffer.from(ivB64, "base64");
  const tag = Buffer.from(tagB64, "base64");
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptionError("Malformed encrypted secret");
  try {
    const decipher = createDecipheriv("aes-256-gcm", encryptionKey(), iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(ctx));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(ctB64, "base64")), decipher.final()]).toString("utf8");
  } catch {
    throw new DecryptionError();
  }
}

/** The 32-byte key: ENCRYPTION_KEY, else the generated key file (created on first use). */
export function encryptionKey(): Buffer {
  if (cachedKey) return cachedKey;
  const e = env();
  if (e.ENCRYPTION_KEY) {
    cachedKey = Buffer.from(e.ENCRYPTION_KEY, "hex");
    return cachedKey;
  }
  cachedKey = loadOrCreateKeyFile(path.resolve(e.DATA_DIR, KEY_FILE));
  return cachedKey;
}

function loadOrCreateKeyFile(file: string): Buffer {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const created = !fs.existsSync(file) && createKeyFile(file);
  const hex = fs.readFileSync(file, "utf8").trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`${file} does not hold a 64-hex-character key; fix or remove it (stored secrets then need re-entering)`);
  // Once per process (the key is cached): a reminder, not an error — the local setup is meant to work without it.
  console.warn(
    `[crypto] ENCRYPTION_KEY is not set: stored secrets are encrypted with the key ${created ? "just generated in" : "in"} ${file}. ` +
      "In production set ENCRYPTION_KEY (64 hex characters) and keep it out of the data directory's backups.",
  );
  return Buffer.from(hex, "hex");
}

/** True when this process created the file (false when another process won the race). */
function createKeyFile(file: string): boolean {
  // Written whole to a temporary file, then hard-linked into place: link() fails if the file exists, so two
  // processes starting at once agree on one key and neither can read a half-written file.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, `${randomBytes(32).toString("hex")}\n`, { flag: "wx", mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return false;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** For tests that change ENCRYPTION_KEY or DATA_DIR. */
export function resetEncryptionKeyCache(): void {
  cachedKey = undefined;
}

/** What a settings page may show of a secret: its prefix and last four characters. */
export function secretHint(secret: string): string {
  const prefix = /^[a-z]+_(?:live_|test_)?/.exec(secret)?.[0] ?? "";
  return `${prefix}…${secret.slice(-4)}`;
}
