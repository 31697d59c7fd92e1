import { z } from "zod";

/**
 * Zod 4 probes for `new Function` the first time a z.object() is built, to compile faster parsers. The pages'
 * Content-Security-Policy forbids eval, so in the browser the probe only files a CSP violation (and a console
 * error) on every page with a schema. root.tsx imports this first, before any route module builds a schema.
 * The server, where no CSP applies, keeps the compiled parsers.
 */
if (typeof document !== "undefined") z.config({ jitless: true });
