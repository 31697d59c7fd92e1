import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DecryptionError, decryptSecret, encryptSecret, resetEncryptionKeyCache, secretHint } from "./crypto.server";
import { resetEnvCache } from "./env.server";

const KEY = "0f".repeat(32);
const A = { merchantId: "mch_aaaaaaaaaaaaaaaaaaaaaaaaaa", purpose: "stripe.webhook_secret" } as const;

let saved: { key?: string; dir?: string };
beforeEach(() => {
  saved = { key: process.env.ENCRYPTION_KEY, dir: process.env.DATA_DIR };
  process.env.ENCRYPTION_KEY = KEY;
  resetEnvCache();
  resetEncryptionKeyCache();
});
afterEach(() => {
  for (const [name, value] of [["ENCRYPTION_KEY", saved.key], ["DATA_DIR", saved.dir]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetEnvCache();
  resetEncryptionKeyCache();
});

describe("encryptSecret / decryptSecret", () => {
  it("round-trips, in the versioned v1:<iv>:<tag>:<ct> format with a fresh 12-byte IV each time", () => {
    const secret = "whsec_abcdefghijklmnopqrstuvwxyz012345";
    const a = encryptSecret(secret, A);
    const b = encryptSecret(secret, A);
    expect(a).not.toBe(b);
    const [version, iv, tag, ct] = a.split(":");
    expect(version).toBe("v1");
    expect(Buffer.from(iv!, "base64")).toHaveLength(12);
    expect(Buffer.from(tag!, "base64")).toHaveLength(16);
    expect(Buffer.from(ct!, "base64")).toHaveLength(Buffer.byteLength(secret));
    expect(a).not.toContain(secret);
    expect(decryptSecret(a, A)).toBe(secret);
    expect(decryptSecret(b, A)).toBe(secret);
    expect(decryptSecret(encryptSecret("ünïcødé ✓", A), A)).toBe("ünïcødé ✓");
  });

  it("is bound to the merchant and the purpose (a row copied elsewhere does not decrypt)", () => {
    const stored = encryptSecret("rk_test_1234567890abcdefghij", A);
    expect(() => decryptSecret(stored, { ...A, merchantId: "mch_bbbbbbbbbbbbbbbbbbbbbbbbbb" })).toThrow(DecryptionError);
    expect(() => decryptSecret(stored, { ...A, purpose: "stripe.api_key" })).toThrow(DecryptionError);
  });

  it("refuses tampered, truncated or unknown-format values", () => {
    const stored = encryptSecret("whsec_secretsecretsecretsecret", A);
    const [v, iv, tag, ct] = stored.split(":") as [string, string, string, string];
    const flip = (b64: string) => {
      const buf = Buffer.from(b64, "base64");
      buf[0] = buf[0]! ^ 1;
      return buf.toString("base64");
    };
    expect(() => decryptSecret([v, iv, tag, flip(ct)].join(":"), A)).toThrow(DecryptionError);
    expect(() => decryptSecret([v, iv, flip(tag), ct].join(":"), A)).toThrow(DecryptionError);
    expect(() => decryptSecret([v, flip(iv), tag, ct].join(":"), A)).toThrow(DecryptionError);
    expect(() => decryptSecret([v, iv, tag].join(":"), A)).toThrow(DecryptionError);
    expect(() => decryptSecret(["v2", iv, tag, ct].join(":"), A)).toThrow(DecryptionError);
    expect(() => decryptSecret("whsec_plaintext", A)).toThrow(DecryptionError);
  });

  it("does not decrypt with another key", () => {
    const stored = encryptSecret("whsec_secretsecretsecretsecret", A);
    process.env.ENCRYPTION_KEY = "a1".repeat(32);
    resetEnvCache();
    resetEncryptionKeyCache();
    expect(() => decryptSecret(stored, A)).toThrow(DecryptionError);
  });
});

describe("the key without ENCRYPTION_KEY", () => {
  it("is generated once into DATA_DIR/encryption.key (mode 0600), reused after a restart, and the operator is told", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "perennial-crypto-"));
    try {
      delete process.env.ENCRYPTION_KEY;
      process.env.DATA_DIR = path.join(dir, "data");
      resetEnvCache();
      resetEncryptionKeyCache();
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      const stored = encryptSecret("whsec_secretsecretsecretsecret", A);
      const file = path.join(dir, "data", "encryption.key");
      expect(fs.readFileSync(file, "utf8").trim()).toMatch(/^[0-9a-f]{64}$/);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      encryptSecret("again", A);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/ENCRYPTION_KEY/);

      // A new process (cache cleared) reads the same key back.
      resetEncryptionKeyCache();
      expect(decryptSecret(stored, A)).toBe("whsec_secretsecretsecretsecret");
      expect(fs.readdirSync(path.join(dir, "data"))).toEqual(["encryption.key"]);
      warn.mockRestore();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a corrupt key file instead of silently making a new key", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "perennial-crypto-"));
    try {
      delete process.env.ENCRYPTION_KEY;
      process.env.DATA_DIR = dir;
      fs.writeFileSync(path.join(dir, "encryption.key"), "not a key\n");
      resetEnvCache();
      resetEncryptionKeyCache();
      expect(() => encryptSecret("x", A)).toThrow(/64-hex-character key/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("with ENCRYPTION_KEY set, writes no file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "perennial-crypto-"));
    try {
      process.env.DATA_DIR = dir;
      resetEnvCache();
      encryptSecret("x", A);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("secretHint", () => {
  it.each([
    ["rk_live_51Habcdefghijklmnopqrstuv1234", "rk_live_…1234"],
    ["sk_test_abcdefghijklmnopqrstWXYZ", "sk_test_…WXYZ"],
    ["whsec_abcdefghijklmnop9876", "whsec_…9876"],
  ])("%s → %s", (secret, hint) => {
    expect(secretHint(secret)).toBe(hint);
  });
});
