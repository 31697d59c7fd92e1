/**
 * What holds a V8 heap: a .heapsnapshot summarised by node type and by constructor (count, self size, retained size),
 * the largest single retainers with their dominator chain, and, given two snapshots, what grew between them.
 *
 *   node --max-old-space-size=8192 --import tsx tests/bench/heap-summary.ts <before.heapsnapshot> [<after.heapsnapshot>]
 *
 * Retained sizes come from the dominator tree (Cooper, Harvey and Kennedy's iterative algorithm over the graph without
 * weak edges, from the snapshot's root). A constructor's retained size sums the instances whose immediate dominator is
 * of another constructor, so a linked chain of one class is not counted once per link (an approximation of Chrome's
 * "retained size" column). Used by tests/bench/pages.bench.ts with PAGES_BENCH_HEAP=1.
 */
import fs from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] }; node_count: number };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface HeapSummary {
  file: string;
  total: number;
  byType: Map<string, { count: number; self: number }>;
  byClass: Map<string, { count: number; self: number; retained: number }>;
  top: Array<{ what: string; retained: number; chain: string }>;
}

export function summariseHeap(file: string): HeapSummary {
  const snap = JSON.parse(fs.readFileSync(file, "utf8")) as Snapshot;
  const { meta } = snap.snapshot;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const [typeOf, nameOf, selfOf, edgeCountOf] = ["type", "name", "self_size", "edge_count"].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
  const [edgeTypeOf, toOf] = ["type", "to_node"].map((f) => meta.edge_fields.indexOf(f)) as [number, number];
  const nodeTypes = meta.node_types[0];
  const weak = meta.edge_types[0].indexOf("weak");
  const { nodes, edges, strings } = snap;
  const n = nodes.length / nf;

  // Edges are stored per node in node order; firstEdge[i] is node i's first edge (index into edges / ef).
  const firstEdge = new Uint32Array(n + 1);
  for (let i = 0, e = 0; i < n; i++) {
    firstEdge[i] = e;
    e += nodes[i * nf + edgeCountOf]!;
    firstEdge[i + 1] = e;
  }
  const target = (e: number) => edges[e * ef + toOf]! / nf;
  const strong = (e: number) => edges[e * ef + edgeTypeOf] !== weak;

  // Depth-first postorder from the root (node 0), iteratively.
  const post = new Int32Array(n).fill(-1);
  const order = new Uint32Array(n);
  const visited = new Uint8Array(n);
  const stack = new Uint32Array(n);
  const cursor = new Uint32Array(n);
  let count = 0;
  let sp = 0;
  stack[sp++] = 0;
  visited[0] = 1;
  cursor[0] = firstEdge[0]!;
  while (sp > 0) {
    const v = stack[sp - 1]!;
    let pushed = false;
    while (cursor[v]! < firstEdge[v + 1]!) {
      const e = cursor[v]!++;
      if (!strong(e)) continue;
      const w = target(e);
      if (visited[w]) continue;
      visited[w] = 1;
      cursor[w] = firstEdge[w]!;
      stack[sp++] = w;
      pushed = true;
      break;
    }
    if (!pushed) {
      sp--;
      post[v] = count;
      order[count++] = v;
    }
  }

  // Predecessors (strong edges between reachable nodes), as compressed rows.
  const predCount = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++) {
    if (post[v]! < 0) continue;
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e++) if (strong(e) && post[target(e)]! >= 0) predCount[target(e) + 1]!++;
  }
  for (let i = 0; i < n; i++) predCount[i + 1]! += predCount[i]!;
  const preds = new Uint32Array(predCount[n]!);
  const fill = predCount.slice(0, n);
  for (let v = 0; v < n; v++) {
    if (post[v]! < 0) continue;
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e++) {
      const w = target(e);
      if (strong(e) && post[w]! >= 0) preds[fill[w]!++] = v;
    }
  }

  // Immediate dominators, in postorder numbers.
  const idom = new Int32Array(count).fill(-1);
  const root = count - 1;
  idom[root] = root;
  for (let changed = true; changed; ) {
    changed = false;
    for (let b = root - 1; b >= 0; b--) {
      const v = order[b]!;
      let best = -1;
      for (let k = predCount[v]!; k < predCount[v + 1]!; k++) {
        let p = post[preds[k]!]!;
        if (idom[p] === -1) continue;
        if (best === -1) {
          best = p;
          continue;
        }
        let q = best;
        while (p !== q) {
          while (p < q) p = idom[p]!;
          while (q < p) q = idom[q]!;
        }
        best = p;
      }
      if (best !== -1 && idom[b] !== best) {
        idom[b] = best;
        changed = true;
      }
    }
  }

  const typeName = (v: number) => nodeTypes[nodes[v * nf + typeOf]!]!;
  const className = (v: number) => {
    const t = typeName(v);
    return t === "object" || t === "closure" || t === "regexp" || t === "native" ? strings[nodes[v * nf + nameOf]!]! || `(${t})` : `(${t})`;
  };
  const retained = new Float64Array(count);
  for (let b = 0; b < count; b++) retained[b] = nodes[order[b]! * nf + selfOf]!;
  for (let b = 0; b < root; b++) if (idom[b]! >= 0) retained[idom[b]!] = retained[idom[b]!]! + retained[b]!;

  const byType = new Map<string, { count: number; self: number }>();
  const byClass = new Map<string, { count: number; self: number; retained: number }>();
  let total = 0;
  for (let b = 0; b < count; b++) {
    const v = order[b]!;
    const self = nodes[v * nf + selfOf]!;
    total += self;
    const t = byType.get(typeName(v)) ?? { count: 0, self: 0 };
    t.count++;
    t.self += self;
    byType.set(typeName(v), t);
    const cls = className(v);
    const c = byClass.get(cls) ?? { count: 0, self: 0, retained: 0 };
    c.count++;
    c.self += self;
    if (b !== root && className(order[idom[b]!]!) !== cls) c.retained += retained[b]!;
    byClass.set(cls, c);
  }

  // The largest retainers below the synthetic roots, with who dominates them.
  const label = (v: number) => {
    const name = strings[nodes[v * nf + nameOf]!]!.replace(/\s+/g, " ");
    return `${typeName(v)} ${name.length > 60 ? name.slice(0, 57) + "…" : name}`;
  };
  const candidates: number[] = [];
  for (let b = 0; b < root; b++) if (retained[b]! > 256 * 1024 && typeName(order[b]!) !== "synthetic") candidates.push(b);
  candidates.sort((a, b) => retained[b]! - retained[a]!);
  const top: HeapSummary["top"] = [];
  for (const b of candidates) {
    // Skip what a listed node already retains.
    let d = idom[b]!;
    let inside = false;
    for (let hops = 0; d !== root && hops < 1000; hops++, d = idom[d]!) if (top.some((t) => t.what === `#${d}`)) inside = true;
    if (inside) continue;
    const chain: string[] = [];
    for (let d2 = idom[b]!, hops = 0; d2 !== root && hops < 4; hops++, d2 = idom[d2]!) chain.push(label(order[d2]!));
    top.push({ what: `#${b}`, retained: retained[b]!, chain: `${label(order[b]!)}  ⟵  ${chain.join("  ⟵  ")}` });
    if (top.length >= 15) break;
  }
  return { file, total, byType, byClass, top };
}

const mb = (b: number) => (b / 1024 / 1024).toFixed(1);

export function printHeapSummary(s: HeapSummary, rows = 25): void {
  console.log(`\nheap snapshot ${s.file}: ${mb(s.total)} MB reachable`);
  console.log("by node type (self size):");
  for (const [t, v] of [...s.byType].sort((a, b) => b[1].self - a[1].self).slice(0, 12))
    console.log(`  ${mb(v.self).padStart(7)} MB  ${String(v.count).padStart(8)}  ${t}`);
  console.log(`by constructor (self MB, count, retained MB), top ${rows} by retained:`);
  for (const [c, v] of [...s.byClass].sort((a, b) => b[1].retained - a[1].retained).slice(0, rows))
    console.log(`  ${mb(v.self).padStart(7)}  ${String(v.count).padStart(8)}  ${mb(v.retained).padStart(7)}  ${c.slice(0, 80)}`);
  console.log("largest single retainers (retained MB: node ⟵ its dominators):");
  for (const t of s.top) console.log(`  ${mb(t.retained).padStart(7)}  ${t.chain.slice(0, 300)}`);
}

export function printHeapDiff(before: HeapSummary, after: HeapSummary, rows = 15): void {
  console.log(`\nheap growth ${before.file} → ${after.file}: ${mb(before.total)} → ${mb(after.total)} MB reachable`);
  const keys = new Set([...before.byClass.keys(), ...after.byClass.keys()]);
  const d = [...keys].map((k) => {
    const a = before.byClass.get(k) ?? { count: 0, self: 0 };
    const b = after.byClass.get(k) ?? { count: 0, self: 0 };
    return { k, count: b.count - a.count, self: b.self - a.self };
  });
  for (const x of d.sort((a, b) => Math.abs(b.self) - Math.abs(a.self)).slice(0, rows))
    console.log(`  ${(x.self >= 0 ? "+" : "") + mb(x.self)} MB`.padStart(12) + `  ${(x.count >= 0 ? "+" : "") + x.count}`.padStart(10) + `  ${x.k.slice(0, 80)}`);
}

if (process.argv[1]?.endsWith("heap-summary.ts")) {
  const [a, b] = process.argv.slice(2);
  if (!a) {
    console.error("usage: heap-summary.ts <snapshot> [<later snapshot>]");
    process.exit(2);
  }
  const first = summariseHeap(a);
  printHeapSummary(first);
  if (b) {
    const second = summariseHeap(b);
    printHeapSummary(second);
    printHeapDiff(first, second);
  }
}
