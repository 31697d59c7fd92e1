import { Fragment, useId } from "react";
import { operationAnchor, type OpenApiDoc } from "~/api/openapi-docs";
import { Badge } from "./layout";
import { cx } from "./cx";
import { useScrollRegion } from "./scroll-region";

/**
 * A readable rendering of OpenAPI 3.1 operations (from the document /api/v1/openapi.json serves): parameters,
 * request and response schemas as nested field lists, and a curl example per operation. Plain React and Tailwind;
 * no CDN assets (installations may be offline). Types are deliberately loose: the document is data, and anything
 * unexpected is shown rather than crashing the page. The pages around it are in api-docs-pages.tsx.
 */

export { operationAnchor, type OpenApiDoc };
type Json = Record<string, unknown>;

const METHOD_TONE: Record<string, string> = {
  get: "bg-sky-100 text-sky-800",
  post: "bg-emerald-100 text-emerald-800",
  put: "bg-amber-100 text-amber-800",
  patch: "bg-amber-100 text-amber-800",
  delete: "bg-red-100 text-red-800",
};

interface Operation {
  method: string;
  path: string;
  op: Json;
}

/** `code` spans in descriptions, nothing more: the document is ours, but it is still rendered as text. */
export function InlineMarkdown({ text }: { text?: unknown }) {
  if (typeof text !== "string" || !text) return null;
  return (
    <>
      {text.split(/(`[^`]+`)/g).map((part, i) =>
        part.startsWith("`") && part.endsWith("`") && part.length > 1 ? (
          <code key={i} className="rounded bg-stone-100 px-1 py-0.5 font-mono text-[0.85em] text-stone-800 [overflow-wrap:anywhere]">
            {part.slice(1, -1)}
          </code>
        ) : (
          <Fragment key={i}>{part}</Fragment>
        ),
      )}
    </>
  );
}

function resolve(doc: OpenApiDoc, node: unknown): { schema: Json; name?: string } {
  const n = (node ?? {}) as Json;
  const ref = typeof n.$ref === "string" ? n.$ref : null;
  if (!ref) return { schema: n };
  const name = ref.split("/").pop()!;
  const section = ref.includes("/parameters/") ? doc.components?.parameters : doc.components?.schemas;
  return { schema: (section?.[name] ?? {}) as Json, name };
}

function typeLabel(doc: OpenApiDoc, s: Json): string {
  const { schema, name } = resolve(doc, s);
  if (name) return name;
  const t = schema.type;
  const types = Array.isArray(t) ? t.map(String) : t ? [String(t)] : [];
  if (types.includes("array")) {
    const inner = typeLabel(doc, (schema.items ?? {}) as Json);
    return `array of ${inner}${types.includes("null") ? " | null" : ""}`;
  }
  const base = types.filter((x) => x !== "null").join(" | ") || (schema.enum ? "enum" : "any");
  const fmt = typeof schema.format === "string" ? ` (${schema.format})` : "";
  return `${base}${fmt}${types.includes("null") ? " | null" : ""}`;
}

function constraints(s: Json): string[] {
  const out: string[] = [];
  if (Array.isArray(s.enum)) out.push(`one of ${s.enum.map((v) => JSON.stringify(v)).join(", ")}`);
  if (typeof s.minLength === "number") out.push(`min length ${s.minLength}`);
  if (typeof s.maxLength === "number") out.push(`max length ${s.maxLength}`);
  if (typeof s.minimum === "number") out.push(`≥ ${s.minimum}`);
  if (typeof s.maximum === "number") out.push(`≤ ${s.maximum}`);
  if (s.default !== undefined) out.push(`default ${JSON.stringify(s.default)}`);
  if (typeof s.pattern === "string") out.push(`pattern ${s.pattern}`);
  if (s.additionalProperties === false) out.push("no other fields allowed");
  return out;
}

/** An object schema as a field list, nesting into objects and arrays of objects (depth-limited against cycles). */
export function SchemaView({ doc, schema, depth = 0 }: { doc: OpenApiDoc; schema: unknown; depth?: number }) {
  const { schema: s } = resolve(doc, schema);
  const target = s.type === "array" || (Array.isArray(s.type) && s.type.includes("array")) ? resolve(doc, s.items).schema : s;
  const props = (target.properties ?? null) as Record<string, Json> | null;
  if (!props || depth > 4) {
    return (
      <p className="text-sm text-stone-700">
        <span className="font-mono text-xs">{typeLabel(doc, schema as Json)}</span>
      </p>
    );
  }
  const required = new Set(Array.isArray(target.required) ? (target.required as string[]) : []);
  const notes = constraints(target).filter((c) => c === "no other fields allowed");
  return (
    <div>
      <dl className="divide-y divide-stone-100 rounded-md border border-stone-200">
        {Object.entries(props).map(([name, prop]) => {
          const resolved = resolve(doc, prop).schema;
          const nested = resolved.properties || (resolved.items && resolve(doc, resolved.items).schema.properties);
          return (
            <div key={name} className="px-3 py-2">
              <dt className="flex flex-wrap items-baseline gap-2">
                <span className="min-w-0 break-all font-mono text-sm font-semibold text-stone-900">{name}</span>
                <span className="font-mono text-xs text-stone-500">{typeLabel(doc, prop)}</span>
                {required.has(name) ? <Badge tone="amber">required</Badge> : <span className="text-xs text-stone-500">optional</span>}
              </dt>
              <dd className="mt-1 space-y-1 text-sm text-stone-700">
                {resolved.description || prop.description ? (
                  <p>
                    <InlineMarkdown text={prop.description ?? resolved.description} />
                  </p>
                ) : null}
                {constraints(resolved).length ? <p className="text-xs text-stone-500">{constraints(resolved).join(" · ")}</p> : null}
                {resolved.example !== undefined ? (
                  <p className="text-xs text-stone-500">
                    Example: <code className="font-mono break-all">{JSON.stringify(resolved.example)}</code>
                  </p>
                ) : null}
                {nested && depth < 4 ? (
                  <div className="mt-2 pl-3">
                    <SchemaView doc={doc} schema={prop} depth={depth + 1} />
                  </div>
                ) : null}
              </dd>
            </div>
          );
        })}
      </dl>
      {notes.length ? <p className="mt-1 text-xs text-stone-500">Unknown fields are rejected.</p> : null}
    </div>
  );
}

/** An example value built from a schema's examples, for the curl snippet. */
export function exampleFor(doc: OpenApiDoc, schema: unknown, depth = 0): unknown {
  const { schema: s } = resolve(doc, schema);
  if (s.example !== undefined) return s.example;
  if (depth > 4) return null;
  if (s.properties) {
    return Object.fromEntries(Object.entries(s.properties as Record<string, Json>).map(([k, v]) => [k, exampleFor(doc, v, depth + 1)]));
  }
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes("array")) return [exampleFor(doc, s.items, depth + 1)];
  if (Array.isArray(s.enum)) return s.enum[0];
  if (types.includes("integer") || types.includes("number")) return 1;
  if (types.includes("boolean")) return true;
  if (types.includes("string")) return "string";
  return null;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function curlExample(doc: OpenApiDoc, { method, path, op }: Operation): string {
  const server = doc.servers?.[0]?.url ?? "";
  const url = `${server}${path.replace(/\{(\w+)\}/g, (_m, p: string) => {
    const param = ((op.parameters ?? []) as Json[]).map((x) => resolve(doc, x).schema).find((x) => x.name === p);
    const ex = (param?.schema as Json | undefined)?.example;
    return typeof ex === "string" ? ex : `<${p}>`;
  })}`;
  const lines = [`curl ${method === "get" ? "" : `-X ${method.toUpperCase()} `}${shellQuote(url)}`];
  if (op.security) lines.push(`-H 'Authorization: Bearer prn_…'`);
  const body = ((op.requestBody as Json | undefined)?.content as Json | undefined)?.["application/json"] as Json | undefined;
  if (body) {
    lines.push(`-H 'Content-Type: application/json'`);
    const params = ((op.parameters ?? []) as Json[]).map((x) => resolve(doc, x).schema);
    if (params.some((p) => p.name === "Idempotency-Key")) lines.push(`-H "Idempotency-Key: $(uuidgen)"`);
    lines.push(`-d ${shellQuote(JSON.stringify(exampleFor(doc, body.schema)))}`);
  }
  return lines.join(" \\\n  ");
}

export function MethodBadge({ method }: { method: string }) {
  return <span className={cx("inline-block w-16 rounded px-2 py-0.5 text-center font-mono text-xs font-bold uppercase", METHOD_TONE[method] ?? "bg-stone-100")}>{method}</span>;
}

/** In a box that scrolls sideways on a phone (focusable while it does), named by its caption. */
function ParametersTable({ doc, params, caption }: { doc: OpenApiDoc; params: Json[]; caption: string }) {
  const captionId = useId();
  const region = useScrollRegion<HTMLDivElement>(captionId);
  return (
    <div className="overflow-x-auto" {...region}>
      <table className="min-w-full text-sm">
        <caption id={captionId} className="sr-only">
          {caption}
        </caption>
        <thead>
          <tr className="text-left text-xs uppercase tracking-wide text-stone-500">
            <th scope="col" className="py-1 pr-4 font-semibold">Name</th>
            <th scope="col" className="py-1 pr-4 font-semibold">In</th>
            <th scope="col" className="py-1 pr-4 font-semibold">Type</th>
            <th scope="col" className="py-1 font-semibold">Description</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-stone-100">
          {params.map((raw) => {
            const p = resolve(doc, raw).schema;
            const schema = (p.schema ?? {}) as Json;
            return (
              <tr key={`${String(p.in)}-${String(p.name)}`} className="align-top">
                <td className="py-1.5 pr-4 font-mono text-xs font-semibold">
                  {String(p.name)}
                  {p.required ? (
                    <>
                      <span aria-hidden className="ml-1 text-amber-700">*</span>
                      <span className="sr-only"> (required)</span>
                    </>
                  ) : null}
                </td>
                <td className="py-1.5 pr-4 text-xs text-stone-600">{String(p.in)}</td>
                <td className="py-1.5 pr-4 font-mono text-xs text-stone-600">{typeLabel(doc, schema)}</td>
                <td className="py-1.5 text-stone-700 wrap-anywhere">
                  <InlineMarkdown text={p.description ?? schema.description} />
                  {constraints(schema).length ? <span className="block text-xs text-stone-500">{constraints(schema).join(" · ")}</span> : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** One operation, headed by an h2 (it is the unit of a tag page) with h3 sub-sections. */
export function OperationView({ doc, operation }: { doc: OpenApiDoc; operation: Operation }) {
  const { method, path, op } = operation;
  const params = (op.parameters ?? []) as Json[];
  const body = ((op.requestBody as Json | undefined)?.content as Json | undefined)?.["application/json"] as Json | undefined;
  const responses = Object.entries((op.responses ?? {}) as Record<string, Json>);
  return (
    <section id={operationAnchor(method, path)} className="scroll-mt-6 rounded-lg border border-stone-200 bg-white shadow-sm">
      <header className="border-b border-stone-200 px-5 py-3">
        <h2 className="flex flex-wrap items-center gap-x-3 gap-y-1">
          <MethodBadge method={method} />
          <span className="min-w-0 break-all font-mono text-sm font-semibold text-stone-900">{path}</span>
          <span className="text-sm text-stone-600">{String(op.summary ?? "")}</span>
        </h2>
      </header>
      <div className="space-y-5 px-5 py-4">
        {op.description ? (
          <p className="text-sm text-stone-700">
            <InlineMarkdown text={op.description} />
          </p>
        ) : null}
        {params.length ? (
          <div>
            <h3 className="mb-2 text-sm font-semibold text-stone-900">Parameters</h3>
            <ParametersTable doc={doc} params={params} caption={`Parameters of ${method.toUpperCase()} ${path}`} />
          </div>
        ) : null}
        {body ? (
          <div>
            <h3 className="mb-2 text-sm font-semibold text-stone-900">
              Request body <span className="font-normal text-stone-500">application/json</span>
            </h3>
            <SchemaView doc={doc} schema={body.schema} />
          </div>
        ) : null}
        <div>
          <h3 className="mb-2 text-sm font-semibold text-stone-900">Responses</h3>
          <ul className="space-y-3">
            {responses.map(([status, res]) => {
              const schema = ((res.content as Json | undefined)?.["application/json"] as Json | undefined)?.schema;
              const isError = Number(status) >= 400;
              return (
                <li key={status}>
                  <p className="text-sm">
                    <span className={cx("mr-2 font-mono font-semibold", isError ? "text-red-700" : "text-emerald-700")}>{status}</span>
                    <InlineMarkdown text={res.description} />
                  </p>
                  {schema && !isError ? (
                    <div className="mt-2">
                      <SchemaView doc={doc} schema={schema} />
                    </div>
                  ) : null}
                </li>
              );
            })}
          </ul>
        </div>
        <div>
          <h3 className="mb-2 text-sm font-semibold text-stone-900">Example</h3>
          <pre className="whitespace-pre-wrap wrap-anywhere rounded-md bg-stone-900 p-3 font-mono text-xs text-stone-100">
            <code>{curlExample(doc, operation)}</code>
          </pre>
        </div>
      </div>
    </section>
  );
}
