import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

const noServerImports = {
  "no-restricted-imports": [
    "error",
    {
      patterns: [
        {
          group: ["**/*.server", "**/*.server.ts", "**/*.server.tsx", "~/db.server"],
          message: "UI components and pure domain files must not import *.server modules (database, secrets). Move the I/O into a *.server.ts file or a route loader.",
        },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ["build/**", ".data/**", "node_modules/**", "public/build/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-console": "off",
    },
  },
  // The boundary the house style asks for: components and pure domain code stay free of server-only modules.
  {
    files: ["app/components/**/*.{ts,tsx}", "app/domain/**/*.{ts,tsx}"],
    ignores: ["app/domain/**/*.server.{ts,tsx}", "app/domain/**/*.test.{ts,tsx}"],
    rules: noServerImports,
  },
  // Migrations are frozen in time and typed Kysely<any> on purpose (house style): they must not import app types.
  { files: ["db/migrations/**/*.ts"], rules: { "@typescript-eslint/no-explicit-any": "off" } },
  {
    files: ["tests/**/*.{ts,tsx}", "**/*.test.{ts,tsx}"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off" },
  },
);
