import { z } from "zod";

/** Every environment variable Perennial reads, parsed once. The README's configuration table mirrors this. */
const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  APP_URL: z.string().url().optional(),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default(".data"),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  RUN_WORKER: z.enum(["true", "false"]).default("true").transform((v) => v === "true"),
  SEED_DEMO: z.enum(["true", "false"]).default("true").transform((v) => v === "true"),
  SMTP_URL: z.string().url().optional(),
  SMTP_FROM: z.string().default("Perennial <no-reply@perennial.localhost>"),
  ENCRYPTION_KEY: z
    .string()
    .regex(/^[0-9a-f]{64}$/i, "ENCRYPTION_KEY must be 64 hex characters (32 bytes)")
    .optional(),
  // Where the Stripe client sends API calls; tests point it at a local fake server.
  STRIPE_API_URL: z
    .string()
    .url()
    .refine((v) => /^https?:$/.test(new URL(v).protocol), "STRIPE_API_URL must be an http(s) URL")
    .default("https://api.stripe.com"),
  TRUST_PROXY: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  // Diagnostics: every this many ms the server logs one `[perennial] memory {…}` line (the page benchmark reads it).
  MEMORY_LOG_MS: z.coerce.number().int().min(100).optional(),
});

export type Env = z.infer<typeof EnvSchema>;

let cached: Env | undefined;

export function env(): Env {
  if (!cached) {
    const parsed = EnvSchema.safeParse(process.env);
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
      throw new Error(`Invalid environment:\n${lines.join("\n")}`);
    }
    cached = parsed.data;
  }
  return cached;
}

/** The public base URL used in e-mails and share links. */
export function appUrl(): string {
  const e = env();
  return (e.APP_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, "");
}

/** For tests that change the environment. */
export function resetEnvCache() {
  cached = undefined;
}
