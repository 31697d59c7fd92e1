/**
 * Remix options, passed to the Remix Vite plugin by vite.config.ts (stack.md: the design card keeps remix.config.js).
 * @type {import('@remix-run/dev').VitePluginConfig}
 */
export default {
  appDirectory: "app",
  // Tests, stories and server-only siblings beside routes must never become routes.
  ignoredRouteFiles: ["**/*.test.{ts,tsx}", "**/*.server.{ts,tsx}", "**/.*"],
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    // Off: with it on, every page inlines part of the route manifest, which the server builds by matching the whole
    // route list once per parent path (≈ 4 points of the page benchmark's server CPU), and browsers ask /__manifest
    // as links appear. Off, pages are 2–3 KB smaller and the whole manifest is one immutable asset (52 KB, 4.4 KB
    // gzipped) fetched once per release (README, "Where the time went").
    v3_lazyRouteDiscovery: false,
    v3_singleFetch: true,
  },
};
