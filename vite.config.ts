import { vitePlugin as remix } from "@remix-run/dev";
import tailwindcss from "@tailwindcss/vite";
import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";
import remixConfig from "./remix.config.js";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: { alias: { "~": r("./app"), "~db": r("./db"), "~emails": r("./emails") } },
  server: { port: Number(process.env.PORT ?? 3000) },
  // A native, server-only package: the dev server must not try to pre-bundle it for the browser.
  optimizeDeps: { exclude: ["@node-rs/argon2"] },
  plugins: [tailwindcss(), remix(remixConfig)],
});
