import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type CacheMap,
  type KeyRecord,
  Limiter,
  type ResultCache,
  SolveError,
  Solver,
  topoOrder,
  type Vertex,
  type VertexOutcome,
} from "../../src/solver/mod.ts";
import type { ProgressEvent } from "../../src/progress/mod.ts";

/** A cache in memory that counts hits, like the on-disk one will. */
function memoryCache<R>(): ResultCache<R> & { entries: Map<string, R> } {
  const entries = new Map<string, R>();
  const records = new Map<string, KeyRecord>();
  return {
    entries,
    load: (k) => Promise.resolve(entries.get(k)),
    save: (k, r) => {
      entries.set(k, r);
      return Promise.resolve();
    },
    lastRecord: (id) => Promise.resolve(records.get(id)),
    remember: (id, rec) => {
      records.set(id, rec);
      return Promise.resolve();
    },
  };
}

interface Counter {
  execs: Map<string, number>;
  active: number;
  maxActive: number;
}

function counter(): Counter {
  return { execs: new Map(), active: 0, maxActive: 0 };
}

/** A fake op: result = its name plus its inputs' results; counts executions. */
function fake(
  name: string,
  inputs: Vertex<string>[],
  c: Counter,
  opts: {
    def?: string;
    delayMs?: number;
    fail?: boolean;
    content?: (i: number, r: string) => string;
    deps?: CacheMap["deps"];
  } = {},
): Vertex<string> {
  return {
    digest: `d:${name}:${opts.def ?? ""}`,
    name,
    inputs,
    op: {
      cacheMap: () =>
        Promise.resolve({
          digest: opts.def ?? `def-${name}`,
          deps: opts.deps ?? inputs.map(() => ({})),
        }),
      ...(opts.content
        ? { contentChecksum: (i: number, r: string) => Promise.resolve(opts.content!(i, r)) }
        : {}),
      exec: async (ins, ctx) => {
        c.execs.set(name, (c.execs.get(name) ?? 0) + 1);
        c.active++;
        c.maxActive = Math.max(c.maxActive, c.active);
        try {
          if (opts.delayMs) {
            await new Promise<void>((resolve, reject) => {
              const t = setTimeout(resolve, opts.delayMs);
              ctx.signal.addEventListener("abort", () => {
                clearTimeout(t);
                reject(ctx.signal.reason);
              }, { once: true });
            });
          }
          if (opts.fail) throw new Error(`${name} exploded`);
          return `${name}(${ins.join(",")})`;
        } finally {
          c.active--;
        }
      },
    },
  };
}

describe("Solver", () => {
  it("Solver.solve() runs a chain once and reuses every vertex on a second solve", async () => {
    const cache = memoryCache<string>();
    const c = counter();
    const a = fake("a", [], c);
    const b = fake("b", [a], c);
    const top = fake("c", [b], c);
    const solver = new Solver({ cache });
    assert.deepEqual(await solver.solve([top]), ["c(b(a()))"]);
    assert.deepEqual([...c.execs.values()], [1, 1, 1]);
    const events: ProgressEvent[] = [];
    const outcomes = new Map<string, VertexOutcome>();
    assert.deepEqual(
      await new Solver({ cache }).solve([top], { onEvent: (e) => events.push(e), outcomes }),
      [
        "c(b(a()))",
      ],
    );
    assert.deepEqual([...c.execs.values()], [1, 1, 1], "nothing ran again");
    const completed = events.filter((e) => e.type === "vertex.completed");
    assert.equal(completed.length, 3);
    assert.ok(completed.every((e) => e.type === "vertex.completed" && e.cached));
    assert.ok([...outcomes.values()].every((o) => o.cached));
  });

  it("Solver.solve() runs a shared input of a diamond once", async () => {
    const c = counter();
    const base = fake("base", [], c);
    const left = fake("left", [base], c);
    const right = fake("right", [base], c);
    const top = fake("top", [left, right], c);
    await new Solver({ cache: memoryCache<string>(), concurrency: 4 }).solve([top]);
    assert.equal(c.execs.get("base"), 1);
    assert.equal(c.execs.get("top"), 1);
  });

  it("Solver.solve() runs independent vertices concurrently up to the limit", async () => {
    for (const limit of [1, 2, 3]) {
      const c = counter();
      const leaves = [0, 1, 2, 3].map((i) => fake(`leaf${i}`, [], c, { delayMs: 20 }));
      await new Solver({ cache: memoryCache<string>(), concurrency: limit }).solve([
        fake("top", leaves, c),
      ]);
      assert.equal(c.maxActive, limit, `limit ${limit}`);
    }
  });

  it("Solver.solve() runs identical work once across concurrent solves", async () => {
    const cache = memoryCache<string>();
    const c = counter();
    const solver = new Solver({ cache, concurrency: 4 });
    // Two builds with their own vertex objects but the same definitions.
    const g1 = fake("top", [fake("slow", [], c, { delayMs: 30 })], c);
    const g2 = fake("top", [fake("slow", [], c, { delayMs: 30 })], c);
    const [r1, r2] = await Promise.all([solver.solve([g1]), solver.solve([g2])]);
    assert.deepEqual(r1, r2);
    assert.equal(c.execs.get("slow"), 1);
    assert.equal(c.execs.get("top"), 1);
  });

  it("Solver.solve() stops on abort: the running op sees the signal, later vertices never run", async () => {
    const c = counter();
    const slow = fake("slow", [], c, { delayMs: 5_000 });
    const after = fake("after", [slow], c);
    const ctl = new AbortController();
    const p = new Solver({ cache: memoryCache<string>() }).solve([after], { signal: ctl.signal });
    setTimeout(() => ctl.abort(new Error("interrupted")), 20);
    await assert.rejects(p, /interrupted/);
    assert.equal(c.execs.get("after"), undefined);
    assert.equal(c.active, 0, "the running op ended");
  });

  it("Solver.solve() fails with the vertex name and does not run dependants", async () => {
    const c = counter();
    const bad = fake("[stage-0 2/3] COPY x /x", [], c, { fail: true });
    const top = fake("top", [bad], c);
    const events: ProgressEvent[] = [];
    await assert.rejects(
      new Solver({ cache: memoryCache<string>() }).solve([top], { onEvent: (e) => events.push(e) }),
      (e: unknown) =>
        e instanceof SolveError && e.vertex === "[stage-0 2/3] COPY x /x" &&
        /failed to solve: \[stage-0 2\/3\] COPY x \/x: .* exploded/.test(e.message),
    );
    assert.equal(c.execs.get("top"), undefined);
    assert.ok(events.some((e) => e.type === "vertex.completed" && e.error?.includes("exploded")));
  });

  it("Solver.solve() keys a content dep by checksum: unrelated changes upstream stay cached", async () => {
    const cache = memoryCache<string>();
    // The context source changes with every build (it reads all files), but the COPY
    // only reads `app.txt`: its key follows the checksum of that file only.
    const build = async (ctxFiles: Record<string, string>) => {
      const c = counter();
      const ctx = fake("context", [], c, { def: JSON.stringify(ctxFiles) });
      const copy = fake("copy app.txt", [ctx], c, {
        deps: [{ content: true, selector: "/app.txt" }],
        content: () => `sum:${ctxFiles["app.txt"]}`,
      });
      const after = fake("after", [copy], c);
      const outcomes = new Map<string, VertexOutcome>();
      await new Solver({ cache }).solve([after], { outcomes });
      return { c, outcomes, copy, after };
    };
    const first = await build({ "app.txt": "v1", "other.txt": "x" });
    assert.equal(first.c.execs.get("copy app.txt"), 1);
    const touchOther = await build({ "app.txt": "v1", "other.txt": "y" });
    assert.equal(touchOther.c.execs.get("context"), 1, "the source itself re-ran");
    assert.equal(touchOther.c.execs.get("copy app.txt"), undefined, "COPY stayed cached");
    assert.equal(touchOther.c.execs.get("after"), undefined);
    const touchApp = await build({ "app.txt": "v2", "other.txt": "y" });
    assert.equal(touchApp.c.execs.get("copy app.txt"), 1);
    assert.equal(touchApp.c.execs.get("after"), 1);
    assert.deepEqual(touchApp.outcomes.get(touchApp.copy.digest)?.cacheMiss, {
      kind: "content",
      detail: "content changed: /app.txt",
    });
    assert.deepEqual(touchApp.outcomes.get(touchApp.after.digest)?.cacheMiss, {
      kind: "input",
      detail: "input changed: copy app.txt",
    });
  });

  it("Solver.solve() explains misses: new step, changed definition, --no-cache", async () => {
    const cache = memoryCache<string>();
    const c = counter();
    const outcomes = new Map<string, VertexOutcome>();
    const v1 = fake("step", [], c, { def: "echo 1" });
    await new Solver({ cache }).solve([v1], { outcomes });
    assert.equal(outcomes.get(v1.digest)?.cacheMiss?.kind, "new");
    const v2 = fake("step", [], c, { def: "echo 2" });
    await new Solver({ cache }).solve([v2], { outcomes });
    assert.equal(outcomes.get(v2.digest)?.cacheMiss?.kind, "definition");
    const v3 = { ...fake("step", [], c, { def: "echo 2" }), ignoreCache: true };
    await new Solver({ cache }).solve([v3], { outcomes });
    assert.equal(outcomes.get(v3.digest)?.cacheMiss?.kind, "no-cache");
    assert.equal(c.execs.get("step"), 3);
  });

  it("Solver.solve() re-runs what is built on an ignoreCache vertex, and nothing else", async () => {
    const cache = memoryCache<string>();
    const graph = (c: Counter, noCache: boolean) => {
      const base = fake("base", [], c);
      const mid = { ...fake("mid", [base], c), ...(noCache ? { ignoreCache: true } : {}) };
      const other = fake("other", [base], c);
      return fake("top", [mid, other], c);
    };
    await new Solver({ cache }).solve([graph(counter(), false)]);
    const c = counter();
    const outcomes = new Map<string, VertexOutcome>();
    await new Solver({ cache }).solve([graph(c, true)], { outcomes });
    assert.deepEqual([...c.execs.keys()].sort(), ["mid", "top"]);
    const top = [...outcomes.values()].find((o) => o.cacheMiss?.detail.includes("input step"));
    assert.ok(top, "the dependant says why it ran");
  });

  it("Solver.solve() handles a 10,000-vertex chain and a 2,000-wide fan-in", async () => {
    const c = counter();
    let v = fake("v0", [], c);
    for (let i = 1; i < 10_000; i++) v = fake(`v${i}`, [v], c, { def: `d${i}` });
    const solver = new Solver({ cache: memoryCache<string>(), concurrency: 2 });
    const [r] = await solver.solve([v]);
    assert.ok(r?.startsWith("v9999(v9998("));
    assert.equal(c.execs.size, 10_000);
    const wide = Array.from({ length: 2000 }, (_, i) => fake(`w${i}`, [], c));
    await solver.solve([fake("fan-in", wide, c)]);
    assert.equal(c.execs.get("fan-in"), 1);
  });

  it("topoOrder() puts inputs first and rejects a cycle", () => {
    const c = counter();
    const a = fake("a", [], c);
    const b = fake("b", [a], c);
    assert.deepEqual(topoOrder([b]).map((v) => v.name), ["a", "b"]);
    const x = fake("x", [], c);
    const y = fake("y", [x], c);
    (x.inputs as Vertex<string>[]).push(y);
    assert.throws(() => topoOrder([y]), /cycle/);
  });
});

describe("Limiter", () => {
  it("Limiter.run() never exceeds its limit, even as slots are handed over", async () => {
    const l = new Limiter(2);
    let active = 0;
    let max = 0;
    await Promise.all(Array.from({ length: 20 }, () =>
      l.run(async () => {
        active++;
        max = Math.max(max, active);
        await new Promise((r) => setTimeout(r, 1));
        active--;
      })));
    assert.equal(max, 2);
    assert.equal(l.active, 0);
  });

  it("Limiter.run() drops a waiting task whose signal aborts", async () => {
    const l = new Limiter(1);
    let release!: () => void;
    const first = l.run(() => new Promise<void>((r) => (release = r)));
    const ctl = new AbortController();
    const second = l.run(() => Promise.resolve("ran"), ctl.signal);
    ctl.abort(new Error("gone"));
    await assert.rejects(second, /gone/);
    release();
    await first;
    assert.equal(await l.run(() => Promise.resolve("next")), "next");
  });
});
