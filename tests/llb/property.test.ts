// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Property tests over random graphs from a seeded PRNG: determinism, key-order
 * independence, metadata independence and the Merkle property of digests.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  copy,
  definitionToJson,
  diff,
  image,
  local,
  marshal,
  merge,
  parseDefinition,
  type State,
} from "../../src/llb/mod.ts";

/** mulberry32: a tiny deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type NodeSpec =
  | { kind: "image"; ref: string }
  | { kind: "local"; name: string }
  | {
    kind: "run";
    base: number;
    args: string[];
    mounts: { src: number; dest: string; readonly: boolean }[];
    takeMount: boolean;
  }
  | { kind: "file"; base: number; src: number; path: string }
  | { kind: "merge"; inputs: number[] }
  | { kind: "diff"; lower: number; upper: number };

function depsOf(n: NodeSpec): number[] {
  switch (n.kind) {
    case "image":
    case "local":
      return [];
    case "run":
      return [n.base, ...n.mounts.map((m) => m.src)];
    case "file":
      return [n.base, n.src];
    case "merge":
      return n.inputs;
    case "diff":
      return [n.lower, n.upper];
  }
}

function randomGraph(seed: number, size: number): NodeSpec[] {
  const rand = prng(seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const nodes: NodeSpec[] = [];
  for (let i = 0; i < size; i++) {
    const r = i < 2 ? rand() * 0.3 : rand();
    if (r < 0.15) nodes.push({ kind: "image", ref: `img${pick(4)}:${pick(3)}` });
    else if (r < 0.3) nodes.push({ kind: "local", name: `ctx${pick(3)}` });
    else if (r < 0.65) {
      const mounts = Array.from(
        { length: pick(3) },
        (_, k) => ({ src: pick(i), dest: `/m${k}`, readonly: rand() < 0.5 }),
      );
      nodes.push({
        kind: "run",
        base: pick(i),
        args: ["sh", "-c", `step ${pick(1000)}`],
        mounts,
        takeMount: mounts.some((m) => !m.readonly) && rand() < 0.3,
      });
    } else if (r < 0.85) {
      nodes.push({ kind: "file", base: pick(i), src: pick(i), path: `/f${pick(5)}` });
    } else if (r < 0.93) {
      nodes.push({
        kind: "merge",
        inputs: Array.from({ length: 2 + pick(2) }, () => pick(i)),
      });
    } else nodes.push({ kind: "diff", lower: pick(i), upper: pick(i) });
  }
  return nodes;
}

interface Tweak {
  /** Suffix appended to every custom name. */
  names?: string;
  /** Index of a run node whose args change. */
  changeArgsOf?: number;
}

function realize(nodes: NodeSpec[], tweak: Tweak = {}): State[] {
  const states: State[] = [];
  const name = (i: number) => ({ customName: `node ${i}${tweak.names ?? ""}` });
  nodes.forEach((n, i) => {
    switch (n.kind) {
      case "image":
        states.push(image(n.ref, name(i)));
        break;
      case "local":
        states.push(local(n.name, name(i)));
        break;
      case "run": {
        const args = tweak.changeArgsOf === i ? [...n.args, "changed"] : n.args;
        const exec = states[n.base]!.run({
          args,
          ...name(i),
          mounts: n.mounts.map((m) => ({
            dest: m.dest,
            source: states[m.src]!,
            readonly: m.readonly,
          })),
        });
        const rw = n.mounts.find((m) => !m.readonly);
        states.push(n.takeMount && rw !== undefined ? exec.getMount(rw.dest) : exec.root());
        break;
      }
      case "file":
        states.push(states[n.base]!.file(copy(states[n.src]!, "/src", n.path), name(i)));
        break;
      case "merge":
        states.push(merge(n.inputs.map((k) => states[k]!), name(i)));
        break;
      case "diff":
        states.push(diff(states[n.lower]!, states[n.upper]!, name(i)));
        break;
    }
  });
  return states;
}

/** The digest each node's state resolves to (terminal inputs, in node order). */
function nodeDigests(states: State[]): string[] {
  const def = marshal(states);
  return def.ops.at(-1)!.op.inputs!.map((i) => `${i.digest}#${i.index ?? 0}`);
}

function shuffleKeys(value: unknown, rand: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rand));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, rand)]));
}

const SEEDS = Array.from({ length: 25 }, (_, i) => 1000 + i * 7919);

describe("random graphs", () => {
  it("marshal() of two separately built copies gives identical bytes and digests", () => {
    for (const seed of SEEDS) {
      const nodes = randomGraph(seed, 40);
      const a = definitionToJson(marshal(realize(nodes)));
      const b = definitionToJson(marshal(realize(nodes)));
      assert.equal(a, b, `seed ${seed}`);
    }
  });

  it("parseDefinition() gives the same digests whatever the key order of the JSON", () => {
    for (const seed of SEEDS) {
      const def = marshal(realize(randomGraph(seed, 40)));
      const shuffled = JSON.stringify(shuffleKeys(JSON.parse(definitionToJson(def)), prng(seed)));
      assert.notEqual(shuffled, definitionToJson(def), `seed ${seed}: shuffle changed nothing`);
      const back = parseDefinition(shuffled);
      assert.deepEqual(back.ops.map((o) => o.digest), def.ops.map((o) => o.digest), `seed ${seed}`);
      assert.equal(definitionToJson(back), definitionToJson(def), `seed ${seed}`);
    }
  });

  it("changing custom names changes metadata but no digest", () => {
    for (const seed of SEEDS) {
      const nodes = randomGraph(seed, 40);
      const a = marshal(realize(nodes));
      const b = marshal(realize(nodes, { names: " (renamed)" }));
      assert.deepEqual(b.ops, a.ops, `seed ${seed}`);
      assert.notDeepEqual(b.metadata, a.metadata, `seed ${seed}`);
    }
  });

  it("changing one exec's args changes its digest and its dependants' only", () => {
    let checked = 0;
    for (const seed of SEEDS) {
      const nodes = randomGraph(seed, 40);
      const runs = nodes.map((n, i) => (n.kind === "run" ? i : -1)).filter((i) => i >= 0);
      const target = runs[Math.floor(prng(seed + 1)() * runs.length)]!;
      const affected = new Set<number>([target]);
      nodes.forEach((n, i) => {
        if (depsOf(n).some((d) => affected.has(d))) affected.add(i);
      });
      const before = nodeDigests(realize(nodes));
      const after = nodeDigests(realize(nodes, { changeArgsOf: target }));
      nodes.forEach((_, i) => {
        if (affected.has(i)) {
          assert.notEqual(after[i], before[i], `seed ${seed}: node ${i} depends on ${target}`);
        } else {
          assert.equal(after[i], before[i], `seed ${seed}: node ${i} does not depend on ${target}`);
        }
      });
      checked += affected.size;
    }
    assert.ok(checked > SEEDS.length, "the property was exercised on dependants too");
  });

  it("every random graph passes parseDefinition() validation", () => {
    for (const seed of SEEDS) {
      const def = marshal(realize(randomGraph(seed, 60)));
      assert.deepEqual(parseDefinition(definitionToJson(def)), def, `seed ${seed}`);
    }
  });
});
