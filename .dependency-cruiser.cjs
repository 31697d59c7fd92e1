// The dependency rule of docs/architecture.md, checked by `npm run lint`: any violation fails lint (there is no
// baseline of tolerated ones any more; tests/repo/dependency-rule.test.ts proves a broken rule fails). The layer of a
// file is its folder, so a misplaced file shows up as a violation until it moves.

// Floors, lowest first; within a floor, parts in order. A part may import itself, the parts listed before it on its
// floor and everything on the floors below; never a later part or a higher floor. The order inside a floor is what
// keeps folders free of cycles (dependency-cruiser cannot baseline folder-level cycles, so they are ruled out here).
const floors = [
  ["foundation", ["^app/lib/", "^(db/|app/db\\.server\\.ts$)", "^emails/"]],
  ["kernel", ["^app/auth/", ...["audit", "events", "email", "idempotency", "experiments", "api-keys"].map((m) => `^app/domain/${m}/`)]],
  ["ledger", ["^app/domain/(points|ledger)/"]],
  ["core", ["segments", "cltv", "members", "staff", "merchants", "subscriptions"].map((m) => `^app/domain/${m}/`)],
  // Programs: one part, and the rule below forbids imports between them.
  ["programs", ["^app/domain/(tiers|rewards|offers|referrals)/"]],
  ["flows", ["^app/domain/flows/"]],
  ["channels", ["^app/domain/incrementality/", "^app/domain/imports/", "^app/domain/stripe/", "^app/api/"]],
];
// The top: entry points and UI. None of them is imported by anything below.
const top = {
  web: "^app/(routes/|components/|styles/|web/|root\\.tsx$|entry\\.(server|client)\\.tsx$)",
  jobs: "^app/jobs/",
  server: "^app/server/",
  bin: "^app/bin/",
};
// Demo seeding, simulations, the Hillstrom replay and friend-holdout demo data, in one area: only bin (and tests)
// may import it.
const demo = "^app/demo/";
const anyOf = (patterns) => `(${patterns.join("|")})`;

const layerRules = floors.flatMap(([name, parts], f) => {
  const above = [...floors.slice(f + 1).flatMap(([, ps]) => ps), ...Object.values(top), demo];
  return [
    {
      name: `layer-${name}`,
      severity: "error",
      comment: `The ${name} floor imports only its own floor and the floors below it (docs/architecture.md, "Who may import whom").`,
      from: { path: anyOf(parts), pathNot: demo },
      to: { path: anyOf(above) },
    },
    ...parts.slice(0, -1).map((part, i) => ({
      name: `order-${name}`,
      severity: "error",
      comment: `Inside the ${name} floor a part imports only the parts listed before it (docs/architecture.md).`,
      from: { path: part, pathNot: demo },
      to: { path: anyOf(parts.slice(i + 1)) },
    })),
  ];
});

// Components: the kit (ui, charts), then the shells (auth, admin, portal), then feature folders that do not import
// each other.
const componentParts = ["ui", "charts", "auth", "admin", "portal"].map((c) => `^app/components/${c}/`);
const componentFeatures = "^app/components/(?!ui/|charts/|auth/|admin/|portal/)([^/]+)/";
const componentRules = [
  ...componentParts.map((part, i) => ({
    name: "order-components",
    severity: "error",
    comment: "Components: ui, charts, auth, admin, portal in that order, then feature folders; an earlier one never imports a later one.",
    from: { path: part },
    to: { path: anyOf([...componentParts.slice(i + 1), componentFeatures]) },
  })),
  {
    name: "component-features-apart",
    severity: "error",
    comment: "Feature component folders do not import each other; shared pieces move to ui, admin or portal.",
    from: { path: componentFeatures },
    to: { path: componentFeatures, pathNot: "^app/components/$1/" },
  },
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycles: split the module or move the shared part down a floor (a flow or an event links programs).",
      from: {},
      to: { circular: true },
    },
    {
      name: "lib-imports-nothing-of-app",
      severity: "error",
      comment: "app/lib holds small utilities (ids, money, env, errors) and imports nothing else of app, db or emails.",
      from: { path: "^app/lib/" },
      to: { path: "^(app/(?!lib/)|db/|emails/)" },
    },
    ...layerRules,
    {
      name: "programs-do-not-import-each-other",
      severity: "error",
      comment: "Tiers, rewards, offers and referrals are one floor: they do not import each other. A flow or an in-transaction event links them.",
      from: { path: "^app/domain/(tiers|rewards|offers|referrals)/", pathNot: demo },
      to: { path: "^app/domain/(tiers|rewards|offers|referrals)/", pathNot: ["^app/domain/$1/", demo] },
    },
    {
      name: "domain-not-to-outer",
      severity: "error",
      comment: "Domain code never imports routes, web, components, api, jobs, bin, server or demo code.",
      from: { path: "^app/domain/", pathNot: demo },
      to: { path: anyOf(["^app/(routes|web|components|api|jobs|bin|server)/", demo]) },
    },
    {
      name: "auth-not-to-domain",
      severity: "error",
      comment: "auth (sessions, passwords, tokens) sits below the domain; guards that need merchants belong to web.",
      from: { path: "^app/auth/" },
      to: { path: "^app/domain/" },
    },
    {
      name: "components-not-to-server",
      severity: "error",
      comment: "Components are UI only: they never import *.server modules (database, secrets).",
      from: { path: "^app/components/" },
      to: { path: "(\\.server\\.tsx?$|^app/(routes|jobs|bin|server)/)" },
    },
    ...componentRules,
    ...[
      ["web", top.web, [top.jobs, top.server, top.bin, demo]],
      ["jobs", top.jobs, [top.web, top.server, top.bin, demo]],
      ["demo", demo, [top.web, top.jobs, top.server, top.bin]],
      ["server", top.server, [top.bin]],
    ].map(([name, path, others]) => ({
      name: `top-${name}-apart`,
      severity: "error",
      comment: "Web, jobs and demo do not import each other; only bin imports bin, server and demo.",
      from: { path },
      to: { path: anyOf(others) },
    })),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    includeOnly: "^(app|db|emails)/",
    // Unit tests sit beside the code and may import anything they test.
    exclude: { path: "\\.test\\.tsx?$" },
    // Type-only imports count: they couple modules as much as value imports do.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".cjs", ".mjs", ".json"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
