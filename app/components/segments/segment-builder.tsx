import { useFetcher } from "@remix-run/react";
import { useEffect, useMemo, useRef, useState } from "react";
import { Button, Table, Td, Th } from "~/components/ui";
import { minorDigits } from "~/lib/money";
import {
  ATTRIBUTE_NAMES,
  ATTRIBUTES,
  MONTHS,
  NUMBER_OPERATORS,
  OPERATOR_LABELS,
  VALUE_SEGMENTS,
  type AttributeName,
  type AttributeSpec,
  type Condition,
  type Group,
  type Rule,
} from "~/domain/segments/rule";

/**
 * The segment rule builder: nested all/any groups of conditions, serialised into the hidden `rule` field, with a
 * live member count and a preview of matching members fetched (debounced) from the count resource route.
 */

type UiCondition = Condition & { uid: string };
type UiGroup = { type: "group"; op: "all" | "any"; uid: string; conditions: Array<UiCondition | UiGroup> };

let counter = 0;
const uid = () => `n${++counter}`;

function toUi(g: Group): UiGroup {
  return { type: "group", op: g.op, uid: uid(), conditions: g.conditions.map((c) => (c.type === "group" ? toUi(c) : { ...c, uid: uid() })) };
}

function toRule(g: UiGroup): Rule {
  return {
    type: "group",
    op: g.op,
    conditions: g.conditions.map((c) => {
      if (c.type === "group") return toRule(c);
      const { uid: _uid, ...rest } = c;
      return rest as Condition;
    }),
  };
}

function defaultCondition(attribute: AttributeName): Condition {
  const spec = ATTRIBUTES[attribute];
  switch (spec.type) {
    case "number":
      return { type: "condition", attribute, operator: "gte", value: 0 } as Condition;
    case "tags":
      return { type: "condition", attribute: "tags", operator: "has_any", value: [] };
    case "boolean":
      return { type: "condition", attribute: "at_risk", operator: "is", value: true };
    case "choice":
      if (attribute === "birthday_month") return { type: "condition", attribute, operator: "in", value: [new Date().getMonth() + 1] };
      if (attribute === "value_segment") return { type: "condition", attribute, operator: "in", value: ["top"] };
      return { type: "condition", attribute: "tier", operator: "in", value: [] };
  }
}

function update(g: UiGroup, target: string, fn: (n: UiGroup | UiCondition) => UiGroup | UiCondition | null): UiGroup {
  return {
    ...g,
    conditions: g.conditions.flatMap((c) => {
      if (c.uid === target) {
        const r = fn(c);
        return r ? [r] : [];
      }
      return c.type === "group" ? [update(c, target, fn)] : [c];
    }),
  };
}

const select = "rounded-md border border-stone-300 bg-white px-2 py-1.5 text-sm";

export interface BuilderPreview {
  count: number;
  members: Array<{ id: string; email: string; name: string | null }>;
  error?: string;
}

export function SegmentBuilder({
  initial,
  countUrl,
  memberHref,
  currency,
  tiers,
  disabled,
}: {
  initial: Rule;
  countUrl: string;
  memberHref: (id: string) => string;
  currency: string;
  tiers: Array<{ id: string; name: string }>;
  disabled?: boolean;
}) {
  const [root, setRoot] = useState<UiGroup>(() => toUi(initial));
  const rule = useMemo(() => toRule(root), [root]);
  const json = JSON.stringify(rule);
  const fetcher = useFetcher<BuilderPreview>();
  const load = useRef(fetcher.load);
  load.current = fetcher.load;
  useEffect(() => {
    const t = setTimeout(() => load.current(`${countUrl}?${new URLSearchParams({ rule: json })}`), 300);
    return () => clearTimeout(t);
  }, [json, countUrl]);

  const ctx: NodeCtx = { setRoot, currency, tiers, disabled: !!disabled };
  const preview = fetcher.data;
  return (
    <div className="space-y-4">
      <input type="hidden" name="rule" value={json} />
      <GroupEditor group={root} ctx={ctx} depth={1} isRoot />
      <div className="rounded-md border border-stone-200 bg-stone-50 px-4 py-3" aria-live="polite">
        {preview?.error ? (
          <p className="text-sm text-red-700">{preview.error}</p>
        ) : preview ? (
          <p className="text-sm font-medium text-stone-900">
            <span data-testid="segment-count">{preview.count.toLocaleString("en-US")}</span> {preview.count === 1 ? "member matches" : "members match"}
            {fetcher.state === "loading" ? <span className="ml-2 text-stone-500">(updating…)</span> : null}
          </p>
        ) : (
          <p className="text-sm text-stone-600">Counting members…</p>
        )}
      </div>
      {preview && !preview.error && preview.members.length ? (
        <Table caption="Some matching members">
          <thead>
            <tr>
              <Th>Member</Th>
              <Th>E-mail</Th>
            </tr>
          </thead>
          <tbody className="divide-y divide-stone-100">
            {preview.members.map((m) => (
              <tr key={m.id}>
                <Td>
                  <a href={memberHref(m.id)} className="text-brand-700 underline">
                    {m.name ?? "(no name)"}
                  </a>
                </Td>
                <Td>{m.email}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
    </div>
  );
}

interface NodeCtx {
  setRoot: React.Dispatch<React.SetStateAction<UiGroup>>;
  currency: string;
  tiers: Array<{ id: string; name: string }>;
  disabled: boolean;
}

function GroupEditor({ group, ctx, depth, isRoot }: { group: UiGroup; ctx: NodeCtx; depth: number; isRoot?: boolean }) {
  const set = (fn: (g: UiGroup) => UiGroup) =>
    ctx.setRoot((root) => (isRoot ? fn(root) : update(root, group.uid, (n) => fn(n as UiGroup))));
  return (
    <fieldset className="space-y-3 rounded-md border border-stone-200 bg-white p-3" disabled={ctx.disabled}>
      <legend className="px-1 text-sm text-stone-700">
        <label>
          <span className="sr-only">Group match</span>
          Members matching{" "}
          <select className={select} value={group.op} onChange={(e) => set((g) => ({ ...g, op: e.target.value as "all" | "any" }))}>
            <option value="all">all</option>
            <option value="any">any</option>
          </select>{" "}
          of these conditions
        </label>
      </legend>
      {group.conditions.length === 0 ? (
        <p className="text-sm text-stone-500">{group.op === "all" ? "No conditions: every active member matches." : "No conditions: nobody matches."}</p>
      ) : null}
      <ul className="space-y-2">
        {group.conditions.map((c) => (
          <li key={c.uid}>{c.type === "group" ? <GroupEditor group={c} ctx={ctx} depth={depth + 1} /> : <ConditionEditor cond={c} ctx={ctx} />}</li>
        ))}
      </ul>
      <div className="flex flex-wrap gap-2">
        <Button type="button" variant="secondary" size="sm" onClick={() => set((g) => ({ ...g, conditions: [...g.conditions, { ...defaultCondition("order_count"), uid: uid() }] }))}>
          Add condition
        </Button>
        {depth < 3 ? (
          <Button
            type="button"
            variant="secondary"
            size="sm"
            onClick={() => set((g) => ({ ...g, conditions: [...g.conditions, { type: "group", op: "any", uid: uid(), conditions: [{ ...defaultCondition("order_count"), uid: uid() }] }] }))}
          >
            Add group
          </Button>
        ) : null}
        {!isRoot ? (
          <Button type="button" variant="ghost" size="sm" onClick={() => ctx.setRoot((root) => update(root, group.uid, () => null))}>
            Remove group
          </Button>
        ) : null}
      </div>
    </fieldset>
  );
}

function ConditionEditor({ cond, ctx }: { cond: UiCondition; ctx: NodeCtx }) {
  const replace = (next: Condition) => ctx.setRoot((root) => update(root, cond.uid, () => ({ ...next, uid: cond.uid })));
  const spec = ATTRIBUTES[cond.attribute];
  const labelId = `${cond.uid}-attr`;
  return (
    <div className="flex flex-wrap items-center gap-2" role="group" aria-labelledby={labelId}>
      <span id={labelId} className="sr-only">
        Condition on {spec.label}
      </span>
      <label className="sr-only" htmlFor={`${cond.uid}-a`}>
        Attribute
      </label>
      <select id={`${cond.uid}-a`} className={select} value={cond.attribute} onChange={(e) => replace(defaultCondition(e.target.value as AttributeName))}>
        {ATTRIBUTE_NAMES.map((a) => (
          <option key={a} value={a}>
            {ATTRIBUTES[a].label}
          </option>
        ))}
      </select>
      <ValueEditor cond={cond} replace={replace} ctx={ctx} />
      <Button type="button" variant="ghost" size="sm" onClick={() => ctx.setRoot((root) => update(root, cond.uid, () => null))}>
        Remove<span className="sr-only"> condition on {spec.label}</span>
      </Button>
      {"help" in spec && spec.help ? <span className="w-full text-xs text-stone-500">{spec.help}</span> : null}
    </div>
  );
}

function ValueEditor({ cond, replace, ctx }: { cond: UiCondition; replace: (c: Condition) => void; ctx: NodeCtx }) {
  const spec = ATTRIBUTES[cond.attribute] as AttributeSpec;
  if (spec.type === "number" && typeof cond.value === "number") {
    const digits = spec.unit === "money" ? minorDigits(ctx.currency) : 0;
    const scale = 10 ** digits;
    return (
      <>
        <label className="sr-only" htmlFor={`${cond.uid}-o`}>
          Comparison
        </label>
        <select id={`${cond.uid}-o`} className={select} value={cond.operator} onChange={(e) => replace({ ...cond, operator: e.target.value } as Condition)}>
          {NUMBER_OPERATORS.map((o) => (
            <option key={o} value={o}>
              {OPERATOR_LABELS[o]}
            </option>
          ))}
        </select>
        <label className="sr-only" htmlFor={`${cond.uid}-v`}>
          {spec.label} value{spec.unit === "money" ? ` in ${ctx.currency}` : ""}
        </label>
        <input
          id={`${cond.uid}-v`}
          type="number"
          className={`${select} w-32`}
          defaultValue={cond.value / scale}
          step={spec.unit === "money" ? 1 / scale : spec.integer ? 1 : "any"}
          min={spec.min / scale}
          max={spec.max / scale}
          onChange={(e) => {
            const n = Number(e.target.value);
            if (e.target.value !== "" && Number.isFinite(n)) replace({ ...cond, value: spec.integer ? Math.round(n * scale) : n } as Condition);
          }}
        />
        {spec.unit === "money" ? <span className="text-sm text-stone-600">{ctx.currency}</span> : spec.unit === "days" ? <span className="text-sm text-stone-600">days</span> : null}
      </>
    );
  }
  if (cond.attribute === "tags") {
    return (
      <>
        <label className="sr-only" htmlFor={`${cond.uid}-o`}>
          Tag match
        </label>
        <select id={`${cond.uid}-o`} className={select} value={cond.operator} onChange={(e) => replace({ ...cond, operator: e.target.value as "has_any" })}>
          {(["has_any", "has_all", "has_none"] as const).map((o) => (
            <option key={o} value={o}>
              {OPERATOR_LABELS[o]}
            </option>
          ))}
        </select>
        <label className="sr-only" htmlFor={`${cond.uid}-v`}>
          Tags, separated by commas
        </label>
        <input
          id={`${cond.uid}-v`}
          type="text"
          className={`${select} w-56`}
          placeholder="vip, wholesale"
          defaultValue={cond.value.join(", ")}
          onChange={(e) => replace({ ...cond, value: e.target.value.split(/[,\s]+/).map((t) => t.trim().toLowerCase()).filter(Boolean) })}
        />
      </>
    );
  }
  if (cond.attribute === "at_risk") {
    return (
      <>
        <span className="text-sm text-stone-700">is</span>
        <label className="sr-only" htmlFor={`${cond.uid}-v`}>
          Churn risk
        </label>
        <select id={`${cond.uid}-v`} className={select} value={String(cond.value)} onChange={(e) => replace({ ...cond, value: e.target.value === "true" })}>
          <option value="true">at risk</option>
          <option value="false">not at risk</option>
        </select>
      </>
    );
  }
  const choices: Array<{ value: string; label: string }> =
    cond.attribute === "birthday_month"
      ? MONTHS.map((m, i) => ({ value: String(i + 1), label: m }))
      : cond.attribute === "value_segment"
        ? VALUE_SEGMENTS.map((v) => ({ value: v, label: v }))
        : ctx.tiers.map((t) => ({ value: t.id, label: t.name }));
  const selected = (cond.value as Array<string | number>).map(String);
  const toggle = (v: string, on: boolean) => {
    const next = on ? [...selected, v] : selected.filter((s) => s !== v);
    replace({ ...cond, value: cond.attribute === "birthday_month" ? next.map(Number) : next } as Condition);
  };
  return (
    <fieldset className="flex flex-wrap items-center gap-2">
      <legend className="sr-only">{spec.label} is one of</legend>
      <span className="text-sm text-stone-700">is one of</span>
      {choices.length === 0 ? <span className="text-sm text-stone-500">No tiers defined yet</span> : null}
      {choices.map((c) => (
        <label key={c.value} className="inline-flex items-center gap-1 text-sm">
          <input type="checkbox" checked={selected.includes(c.value)} onChange={(e) => toggle(c.value, e.target.checked)} />
          {c.label}
        </label>
      ))}
    </fieldset>
  );
}
