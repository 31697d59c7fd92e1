import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expectConsoleErrors } from "../../tests/support/fail-on-console-error";
import { DomainError } from "~/lib/errors";
import { ERROR_STATUS, httpStatus, UNKNOWN_CODE_STATUS } from "./error-status";

const APP = fileURLToPath(new URL("..", import.meta.url));

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** A match on a line that is a comment (`//`, or ` * ` inside a block comment) is prose, not code. */
function inComment(text: string, index: number): boolean {
  const line = text.slice(text.lastIndexOf("\n", index) + 1, index).trimStart();
  return line.startsWith("//") || line.startsWith("*") || line.startsWith("/*");
}

/**
 * Every code app/ throws, read from the source: `new DomainError("code"` (the helpers in lib/errors.ts are built this
 * way too) and `super("code"` in subclasses of DomainError. A construction whose code is not a literal is reported
 * unless it passes on another DomainError's code (`e.code`), which is then checked where that error was made.
 */
function thrownCodes(): { codes: Map<string, string[]>; dynamic: string[] } {
  const codes = new Map<string, string[]>();
  const dynamic: string[] = [];
  for (const file of sourceFiles(APP)) {
    const text = fs.readFileSync(file, "utf8");
    if (!text.includes("DomainError")) continue;
    const rel = path.relative(APP, file);
    const args = (re: RegExp) => [...text.matchAll(re)].filter((m) => !inComment(text, m.index)).map((m) => m[1]!);
    const calls = args(/new DomainError\(\s*([^,)]*)/g);
    if (/extends DomainError\b/.test(text)) calls.push(...args(/\bsuper\(\s*([^,)]*)/g));
    for (const arg of calls) {
      const literal = /^(["'`])([a-z0-9_]+)\1$/.exec(arg.trim());
      if (literal) codes.set(literal[2]!, [...(codes.get(literal[2]!) ?? []), rel]);
      else if (!/^\w+\.code$/.test(arg.trim())) dynamic.push(`${rel}: new DomainError(${arg.trim()}, …)`);
    }
  }
  return { codes, dynamic };
}

describe("ERROR_STATUS", () => {
  const { codes, dynamic } = thrownCodes();

  it("finds the codes (the scan itself works)", () => {
    expect(codes.size).toBeGreaterThan(20);
    expect(codes.get("not_found")).toContain(path.join("lib", "errors.ts"));
  });

  it("has a status for every code thrown under app/", () => {
    const missing = [...codes].filter(([code]) => !(code in ERROR_STATUS)).map(([code, files]) => `${code} (${[...new Set(files)].join(", ")})`);
    expect(missing, "add these codes to ERROR_STATUS in app/api/error-status.ts").toEqual([]);
  });

  it("sees every construction's code (a code built at run time cannot be checked)", () => {
    expect(dynamic, "pass a literal code to new DomainError").toEqual([]);
  });

  it("has no row for a code nothing throws any more", () => {
    const unused = Object.keys(ERROR_STATUS).filter((code) => !codes.has(code));
    expect(unused, "delete these rows from ERROR_STATUS").toEqual([]);
  });
});

describe("httpStatus", () => {
  it("reads the table", () => {
    expect(httpStatus(new DomainError("not_found", "x"))).toBe(404);
    expect(httpStatus(new DomainError("validation_failed", "x", { field: "points" }))).toBe(422);
  });

  it("answers 400 for a code missing from the table, and logs it once", () => {
    const err = new DomainError("no_such_code_in_the_table", "x");
    expect(httpStatus(err)).toBe(UNKNOWN_CODE_STATUS);
    expect(httpStatus(err)).toBe(400);
    const logged = expectConsoleErrors();
    expect(logged).toHaveLength(1);
    expect(String(logged[0]![0])).toContain("no_such_code_in_the_table");
  });
});
