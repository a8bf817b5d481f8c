// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * RUN-step benchmark: builds that start containers (crun or runc), timed as child
 * processes against buildah on the same Dockerfiles, from a busybox base image given
 * as an OCI layout (scripts/make_base_image.ts):
 *
 * - base: `FROM ${BASE}` alone, cold (what every build pays before its first step)
 * - parallel: two stages that each `RUN sleep 2`, and a final stage that copies from
 *   both, cold. Target (issue): wall time < 3 s, which proves the stages overlapped.
 * - chain: `FROM ${BASE}` + 20 `RUN echo N >> /log`, cold and fully cached;
 *   per-step overhead = (chain cold − base cold) / 20
 * - c-chain: the shared workload ../shared/bench/c-chain (20 instructions, 9 RUNs),
 *   cold and no-op, also against the BuildKit / buildah reference figures
 * - crun against runc (`--oci-runtime`) on the chain, cold, runs interleaved
 *
 * Each cold run gets a fresh `--cache-dir` (and buildah a fresh `--root`/`--runroot`).
 * The compiled binary (dist/buildkit, or `--binary`) is measured first, `deno run
 * cli.ts` for comparison. buildah runs `bud --layers --isolation oci --jobs <cpus>`
 * with crun and the overlay storage driver (`--buildah-driver vfs` for vfs); its
 * base image comes from the same OCI layout (`--build-arg BASE=oci:DIR:busybox`).
 * Ratios are ours ÷ buildah, measured in the same run. Short measurements are the
 * median of `--runs` (3); a run over 6 s is not repeated.
 *
 * A benchmark, not a test: it exits 0 when a target fails but says so loudly. The
 * last line is `BENCH_JSON {…}` for comparing runs.
 *
 * Usage: `deno run -A scripts/bench/run_steps.ts [--quick] [--runs N] [--steps N]
 * [--runtimes binary,deno,bun] [--binary PATH] [--dir DIR] [--no-buildah]
 * [--buildah-driver overlay|vfs] [--no-c-chain] [--keep]` (also under bun).
 * `--quick`: 5 steps, 1 run, binary only.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { main as makeBaseImage } from "../make_base_image.ts";
import {
  have,
  loadAverage,
  measureCommand,
  type Measured,
  median,
  printTable,
  ratio,
  runtimeName,
  sec,
} from "./_util.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PARALLEL_TARGET_MS = 3_000;
/** A run longer than this is not repeated (keeps the whole bench near 3 minutes). */
const LONG_RUN_MS = 6_000;
/** The same for buildah, whose cold runs are longer. */
const BUILDAH_LONG_RUN_MS = 3_000;

/** BuildKit v0.24 / buildah 1.28 (overlay, crun) medians of workload c, seconds (../shared/bench). */
const REFERENCE = {
  buildkit: { cold: 1.37, noop: 0.14 },
  buildah: { cold: 5.94, noop: 1.39 },
};

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: "boolean" },
    runs: { type: "string" },
    steps: { type: "string" },
    runtimes: { type: "string" },
    binary: { type: "string" },
    dir: { type: "string" },
    "no-buildah": { type: "boolean" },
    "buildah-driver": { type: "string" },
    "no-c-chain": { type: "boolean" },
    keep: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});
if (flags.help) {
  console.log(
    "usage: run_steps.ts [--quick] [--runs N] [--steps N] [--runtimes binary,deno,bun] " +
      "[--binary PATH] [--dir DIR] [--no-buildah] [--buildah-driver overlay|vfs] [--no-c-chain] [--keep]",
  );
  process.exit(0);
}
const QUICK = flags.quick ?? false;
const RUNS = Math.max(1, Number(flags.runs ?? (QUICK ? 1 : 3)));
const STEPS = Math.max(1, Number(flags.steps ?? (QUICK ? 5 : 20)));
const RUNTIMES = (flags.runtimes ?? (QUICK ? "binary" : "binary,deno")).split(",").filter(
  Boolean,
);
const BINARY = path.resolve(flags.binary ?? path.join(REPO, "dist", "buildkit"));
const BASE_DIR = flags.dir ?? os.tmpdir();
const BUILDAH_DRIVER = flags["buildah-driver"] ?? "overlay";
const CPUS = os.cpus().length;
const SHARED_BENCH = process.env["BUILDKIT_BENCH_DIR"] ?? path.resolve(REPO, "../shared/bench");
const C_CHAIN = path.join(SHARED_BENCH, "c-chain");
const WITH_C_CHAIN = !flags["no-c-chain"] && !QUICK && fs.existsSync(C_CHAIN);

/** One scenario's runs. */
interface Scenario {
  runs: number[];
  median: number;
  min: number;
  rssMiB: number;
  /** Load average (1 min) when the scenario started. */
  load: number;
  /** Whether every run checked out (cache hits/misses as expected). */
  ok: boolean;
  note?: string;
  /** Mean duration of the RUN vertices of the last run, ms (ours only). */
  runVertexMs?: number;
  /** How long the two `sleep 2` steps ran at the same time in the last run, ms. */
  overlapMs?: number;
}

// ---------------------------------------------------------------- workloads

interface Workloads {
  layout: string;
  base: string;
  parallel: string;
  chain: string;
}

function writeWorkloads(work: string): Workloads {
  const w: Workloads = {
    layout: path.join(work, "busybox-layout"),
    base: path.join(work, "base"),
    parallel: path.join(work, "parallel"),
    chain: path.join(work, "chain"),
  };
  const write = (dir: string, text: string) => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "Dockerfile"), text);
  };
  const from = "ARG BASE=busybox\nFROM ${BASE}";
  write(w.base, `${from}\n`);
  write(
    w.parallel,
    "ARG BASE=busybox\n" +
      "FROM ${BASE} AS a\nRUN sleep 2 && echo a > /a\n\n" +
      "FROM ${BASE} AS b\nRUN sleep 2 && echo b > /b\n\n" +
      "FROM ${BASE}\nCOPY --from=a /a /a\nCOPY --from=b /b /b\n",
  );
  let chain = `${from}\n`;
  for (let i = 1; i <= STEPS; i++) chain += `RUN echo ${i} >> /log\n`;
  write(w.chain, chain);
  return w;
}

// ---------------------------------------------------------------- ours

/** A path relative to the repo when inside it. */
function shortPath(p: string): string {
  const rel = path.relative(REPO, p);
  return rel && !rel.startsWith("..") ? rel : p;
}

/** argv prefix that runs `buildkit` under a runtime. */
function builderArgv(rt: string): string[] {
  switch (rt) {
    case "binary":
      return [BINARY];
    case "deno":
      return [path.join(REPO, "node_modules/.bin/deno"), "run", "-A", path.join(REPO, "cli.ts")];
    case "bun":
      return [path.join(REPO, "node_modules/.bin/bun"), path.join(REPO, "cli.ts")];
    default:
      throw new Error(`unknown runtime "${rt}" (expected binary, deno or bun)`);
  }
}

function ensureBinary(): void {
  if (fs.existsSync(BINARY)) return;
  if (flags.binary !== undefined) throw new Error(`--binary ${BINARY}: no such file`);
  console.log("dist/buildkit missing: building it with scripts/compile.sh");
  const r = spawnSync("bash", [path.join(REPO, "scripts/compile.sh")], { stdio: "inherit" });
  if (r.status !== 0) throw new Error("scripts/compile.sh failed");
}

/** A vertex of a `--progress=rawjson` log, as last reported. */
interface Vertex {
  name: string;
  cached: boolean;
  started?: number;
  completed?: number;
}

function parseRawJson(stderr: string): Vertex[] {
  const byDigest = new Map<string, Vertex>();
  for (const line of stderr.split("\n")) {
    if (!line.startsWith("{")) continue;
    let status: { vertexes?: Array<Record<string, unknown>> };
    try {
      status = JSON.parse(line);
    } catch {
      continue;
    }
    for (const v of status.vertexes ?? []) {
      if (v["completed"] === undefined) continue;
      const vx: Vertex = { name: String(v["name"]), cached: v["cached"] === true };
      if (typeof v["started"] === "string") vx.started = Date.parse(v["started"]);
      vx.completed = Date.parse(String(v["completed"]));
      byDigest.set(String(v["digest"]), vx);
    }
  }
  return [...byDigest.values()];
}

type Expect = "none-cached" | "all-cached";

/** Checks the RUN vertices of a build; returns a problem or undefined. */
function checkRuns(vertices: Vertex[], expect: Expect, nRuns: number): string | undefined {
  const runs = vertices.filter((v) => /\bRUN\b/.test(v.name));
  if (runs.length !== nRuns) return `${runs.length} RUN vertices reported, expected ${nRuns}`;
  for (const v of runs) {
    if (v.cached !== (expect === "all-cached")) {
      return `${v.name}: ${v.cached ? "cached" : "ran"}, expected otherwise`;
    }
  }
  return undefined;
}

function runVertexMean(vertices: Vertex[]): number | undefined {
  const ds = vertices.filter((v) => /\bRUN\b/.test(v.name) && !v.cached && v.started)
    .map((v) => v.completed! - v.started!);
  return ds.length ? ds.reduce((a, b) => a + b, 0) / ds.length : undefined;
}

function sleepOverlap(vertices: Vertex[]): number | undefined {
  const s = vertices.filter((v) => /RUN sleep 2/.test(v.name) && v.started);
  if (s.length !== 2) return undefined;
  const [a, b] = s as [Vertex, Vertex];
  return Math.max(0, Math.min(a.completed!, b.completed!) - Math.max(a.started!, b.started!));
}

function logScenario(label: string, s: Scenario, loadText: string, extra = ""): void {
  console.log(
    `  ${label.padEnd(22)} median ${sec(s.median)} s  min ${sec(s.min)} s  (${s.runs.length} run${
      s.runs.length > 1 ? "s" : ""
    })  peak RSS ${s.rssMiB.toFixed(0)} MiB  load ${loadText}${extra}${
      s.ok ? "" : `  !! ${s.note}`
    }`,
  );
}

function summarize(times: number[], rss: number, load: number, problem?: string): Scenario {
  const s: Scenario = {
    runs: times.map((t) => Math.round(t)),
    median: median(times),
    min: Math.min(...times),
    rssMiB: rss,
    load,
    ok: problem === undefined,
  };
  if (problem) s.note = problem;
  return s;
}

interface OursBuild {
  context: string;
  /** The store; a fresh one (then removed) when undefined. */
  store?: string;
  expect: Expect;
  nRuns: number;
  extraArgs?: string[];
}

/** One build of ours; throws when it fails. */
async function oursOnce(
  argv: string[],
  w: Workloads,
  b: OursBuild,
  tmp: string,
): Promise<{ r: Measured; vertices: Vertex[]; problem?: string }> {
  const store = b.store ?? fs.mkdtempSync(path.join(tmp, "store-"));
  try {
    const r = await measureCommand([
      ...argv,
      "build",
      "--cache-dir",
      store,
      "--build-context",
      `busybox=oci-layout://${w.layout}:busybox`,
      "--build-arg",
      "BASE=busybox",
      "--progress=rawjson",
      "-o",
      "type=cacheonly",
      ...(b.extraArgs ?? []),
      b.context,
    ]);
    if (r.code !== 0) throw new Error(`build exited ${r.code}\n${r.stderr.slice(-2000)}`);
    const vertices = parseRawJson(r.stderr);
    const problem = checkRuns(vertices, b.expect, b.nRuns);
    return { r, vertices, ...(problem ? { problem } : {}) };
  } finally {
    if (b.store === undefined) fs.rmSync(store, { recursive: true, force: true });
  }
}

/** A way of running the same build (extra flags), measured side by side. */
interface Variant {
  name: string;
  extraArgs: string[];
}

const DEFAULT_VARIANT: Variant = { name: "default", extraArgs: [] };

function finish(
  label: string,
  times: number[],
  rss: number,
  load: { one: number; text: string },
  problem: string | undefined,
  last: Vertex[],
): Scenario {
  const s = summarize(times, rss, load.one, problem);
  const mean = runVertexMean(last);
  if (mean !== undefined) s.runVertexMs = mean;
  const overlap = sleepOverlap(last);
  if (overlap !== undefined) s.overlapMs = overlap;
  logScenario(
    label,
    s,
    load.text,
    (mean !== undefined ? `  RUN vertex mean ${mean.toFixed(0)} ms` : "") +
      (overlap !== undefined ? `  sleeps overlapped ${sec(overlap)} s` : ""),
  );
  return s;
}

/**
 * Cold builds, each on a fresh store, up to `RUNS` times (once when a run is long),
 * the variants interleaved run by run; then, when `cachedLabel` is given, `RUNS`
 * rebuilds on the store of the last cold run of the first variant (every RUN cached).
 */
async function oursColdThenCached(
  label: string,
  argv: string[],
  w: Workloads,
  b: { context: string; nRuns: number; variants?: Variant[]; cachedLabel?: string },
  tmp: string,
): Promise<{ cold: Record<string, Scenario>; cached?: Scenario }> {
  const variants = b.variants ?? [DEFAULT_VARIANT];
  const load = loadAverage();
  const acc = new Map(
    variants.map((v) => [v.name, {
      times: [] as number[],
      rss: 0,
      problem: undefined as string | undefined,
      last: [] as Vertex[],
    }]),
  );
  let kept: string | undefined;
  try {
    for (let i = 0; i < RUNS; i++) {
      let long = false;
      for (const [vi, v] of variants.entries()) {
        const keep = vi === 0 && b.cachedLabel !== undefined;
        const store = keep ? fs.mkdtempSync(path.join(tmp, "store-kept-")) : undefined;
        const one = await oursOnce(argv, w, {
          context: b.context,
          expect: "none-cached",
          nRuns: b.nRuns,
          extraArgs: v.extraArgs,
          ...(store ? { store } : {}),
        }, tmp);
        if (store) {
          if (kept) fs.rmSync(kept, { recursive: true, force: true });
          kept = store;
        }
        const a = acc.get(v.name)!;
        a.times.push(one.r.ms);
        a.rss = Math.max(a.rss, one.r.rssMiB);
        a.problem ??= one.problem;
        a.last = one.vertices;
        long ||= one.r.ms > LONG_RUN_MS;
      }
      if (long) break;
    }
    const cold: Record<string, Scenario> = {};
    for (const v of variants) {
      const a = acc.get(v.name)!;
      const l = variants.length > 1 ? `${label} (${v.name})` : label;
      cold[v.name] = finish(l, a.times, a.rss, load, a.problem, a.last);
    }
    if (b.cachedLabel === undefined || kept === undefined) return { cold };
    const cload = loadAverage();
    const times: number[] = [];
    let rss = 0;
    let problem: string | undefined;
    let last: Vertex[] = [];
    for (let i = 0; i < RUNS; i++) {
      const one = await oursOnce(argv, w, {
        context: b.context,
        store: kept,
        expect: "all-cached",
        nRuns: b.nRuns,
        extraArgs: variants[0]!.extraArgs,
      }, tmp);
      times.push(one.r.ms);
      rss = Math.max(rss, one.r.rssMiB);
      problem ??= one.problem;
      last = one.vertices;
    }
    return { cold, cached: finish(b.cachedLabel, times, rss, cload, problem, last) };
  } finally {
    if (kept) fs.rmSync(kept, { recursive: true, force: true });
  }
}

type OursResults = Record<string, Scenario>;

/** Path of a program on PATH, or undefined. */
function which(tool: string): string | undefined {
  const r = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** crun and runc as variants, or why they cannot be compared. */
function ociVariants(): Variant[] | string {
  const crun = which("crun");
  const runc = which("runc");
  if (!crun || !runc) return `needs both crun and runc on PATH (crun ${crun}, runc ${runc})`;
  return [
    { name: "crun", extraArgs: ["--oci-runtime", crun] },
    { name: "runc", extraArgs: ["--oci-runtime", runc] },
  ];
}

/**
 * Every scenario of ours under one runtime. On the primary runtime the cold chain
 * runs with `--oci-runtime` crun and runc interleaved (crun's figures are the chain's)
 * and the shared c-chain workload is measured too.
 */
async function benchOurs(
  rt: string,
  primary: boolean,
  w: Workloads,
  tmp: string,
): Promise<{ res: OursResults; oci?: Record<string, Scenario> | { error: string } }> {
  const argv = builderArgv(rt);
  console.log(`\n[${rt}] ${argv.map(shortPath).join(" ")} build …`);
  // Warm-up (not measured): the runtime's module cache, the page cache, the OCI runtime.
  await oursOnce(argv, w, { context: w.base, expect: "none-cached", nRuns: 0 }, tmp);
  const res: OursResults = {};
  res.base = (await oursColdThenCached("base cold", argv, w, { context: w.base, nRuns: 0 }, tmp))
    .cold["default"]!;
  res.parallel = (await oursColdThenCached(
    "parallel cold",
    argv,
    w,
    { context: w.parallel, nRuns: 2 },
    tmp,
  )).cold["default"]!;
  const oci = primary ? ociVariants() : undefined;
  const variants = Array.isArray(oci) ? oci : [DEFAULT_VARIANT];
  const chain = await oursColdThenCached(`chain ${STEPS} cold`, argv, w, {
    context: w.chain,
    nRuns: STEPS,
    variants,
    cachedLabel: `chain ${STEPS} cached`,
  }, tmp);
  res.chainCold = chain.cold[variants[0]!.name]!;
  if (chain.cached) res.chainCached = chain.cached;
  if (primary && WITH_C_CHAIN) {
    const c = await oursColdThenCached("c-chain cold", argv, w, {
      context: C_CHAIN,
      nRuns: 9,
      cachedLabel: "c-chain no-op",
    }, tmp);
    res.cChainCold = c.cold["default"]!;
    if (c.cached) res.cChainNoop = c.cached;
  }
  if (oci === undefined) return { res };
  return { res, oci: typeof oci === "string" ? { error: oci } : chain.cold };
}

// ---------------------------------------------------------------- buildah

/** buildah's scenarios, and why it stopped when it did. */
interface BuildahResults {
  scenarios: Record<string, Scenario>;
  error?: string;
}

async function benchBuildah(w: Workloads, tmp: string): Promise<BuildahResults> {
  if (!have("buildah")) {
    return { scenarios: {}, error: "buildah is not installed (apt-get install buildah)" };
  }
  const crun = which("crun");
  const version = spawnSync("buildah", ["--version"], { encoding: "utf8" }).stdout?.trim();
  if (/[A-Z]/.test(w.layout)) {
    return {
      scenarios: {},
      error:
        `the layout path ${w.layout} has capitals, which buildah refuses in oci:DIR (use --dir)`,
    };
  }
  const budFlags = [
    "bud",
    "--layers",
    "--isolation",
    "oci",
    ...(crun ? ["--runtime", crun] : []),
    "--jobs",
    String(CPUS),
    "--build-arg",
    `BASE=oci:${w.layout}:busybox`,
    "-t",
    "bench-run-steps",
  ];
  console.log(
    `\n[buildah] ${version}: buildah --storage-driver ${BUILDAH_DRIVER} --root R --runroot R ${
      budFlags.join(" ")
    } CONTEXT  (a fresh root per cold run)`,
  );
  const roots: string[] = [];
  const newRoot = () => {
    const r = fs.mkdtempSync(path.join(tmp, "buildah-"));
    roots.push(r);
    return [
      "buildah",
      "--storage-driver",
      BUILDAH_DRIVER,
      "--root",
      path.join(r, "root"),
      "--runroot",
      path.join(r, "run"),
    ];
  };
  const dropRoot = (global: string[]) => {
    spawnSync(global[0]!, [...global.slice(1), "rmi", "--all", "--force"], { stdio: "ignore" });
    const dir = path.dirname(global[global.indexOf("--root") + 1]!);
    // Overlay storage may leave its mounts behind: unmount what lies under the root.
    const mounts = fs.readFileSync("/proc/self/mounts", "utf8").split("\n")
      .map((l) => l.split(" ")[1] ?? "").filter((m) => m.startsWith(dir + "/")).reverse();
    for (const m of mounts) spawnSync("umount", ["-l", m], { stdio: "ignore" });
    fs.rmSync(dir, { recursive: true, force: true });
    if (roots.includes(dir)) roots.splice(roots.indexOf(dir), 1);
  };
  const once = async (global: string[], ctx: string, wantCached: number | undefined) => {
    const r = await measureCommand([...global, ...budFlags, ctx]);
    if (r.code !== 0) {
      throw new Error(
        `buildah bud ${path.basename(ctx)} exited ${r.code}: ${r.stderr.slice(-800)}`,
      );
    }
    const cached = (r.stdout.match(/Using cache/g) ?? []).length;
    const problem = wantCached === undefined || cached === wantCached
      ? undefined
      : `${cached} steps from cache, expected ${wantCached}`;
    return { r, problem };
  };
  /**
   * Cold builds, each in a fresh storage root, up to `RUNS` times (once when a run
   * takes over 3 s: buildah's runs are long); then, when `cachedLabel` is given,
   * `RUNS` rebuilds in the root of the last cold run (`cachedSteps` steps from cache).
   */
  const coldThenCached = async (
    label: string,
    ctx: string,
    cachedLabel?: string,
    cachedSteps?: number,
  ): Promise<{ cold: Scenario; cached?: Scenario }> => {
    const load = loadAverage();
    const times: number[] = [];
    let rss = 0;
    let problem: string | undefined;
    let kept: string[] | undefined;
    try {
      for (let i = 0; i < RUNS; i++) {
        const g = newRoot();
        try {
          const { r, problem: p } = await once(g, ctx, 0);
          times.push(r.ms);
          rss = Math.max(rss, r.rssMiB);
          problem ??= p;
          if (cachedLabel !== undefined) {
            if (kept) dropRoot(kept);
            kept = g;
          }
          if (r.ms > BUILDAH_LONG_RUN_MS) break;
        } finally {
          if (kept !== g) dropRoot(g);
        }
      }
      const cold = summarize(times, rss, load.one, problem);
      logScenario(label, cold, load.text);
      if (cachedLabel === undefined || kept === undefined) return { cold };
      const cload = loadAverage();
      const ctimes: number[] = [];
      let crss = 0;
      let cproblem: string | undefined;
      for (let i = 0; i < RUNS; i++) {
        const { r, problem: p } = await once(kept, ctx, cachedSteps);
        ctimes.push(r.ms);
        crss = Math.max(crss, r.rssMiB);
        cproblem ??= p;
      }
      const cached = summarize(ctimes, crss, cload.one, cproblem);
      logScenario(cachedLabel, cached, cload.text);
      return { cold, cached };
    } finally {
      if (kept) dropRoot(kept);
    }
  };
  const res: Record<string, Scenario> = {};
  try {
    res.base = (await coldThenCached("base cold", w.base)).cold;
    res.parallel = (await coldThenCached("parallel cold", w.parallel)).cold;
    const chain = await coldThenCached(
      `chain ${STEPS} cold`,
      w.chain,
      `chain ${STEPS} cached`,
      STEPS,
    );
    res.chainCold = chain.cold;
    if (chain.cached) res.chainCached = chain.cached;
    if (WITH_C_CHAIN) {
      // Every instruction after FROM is a cached step for buildah (ENV, WORKDIR, LABEL too).
      const c = await coldThenCached("c-chain cold", C_CHAIN, "c-chain no-op", 20);
      res.cChainCold = c.cold;
      if (c.cached) res.cChainNoop = c.cached;
    }
    return { scenarios: res };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    console.log(`  buildah failed: ${msg}`);
    return { scenarios: res, error: msg };
  } finally {
    for (const r of [...roots]) {
      dropRoot(["buildah", "--storage-driver", BUILDAH_DRIVER, "--root", path.join(r, "root")]);
    }
  }
}

// ---------------------------------------------------------------- file system probe

/**
 * Microseconds to create one symlink and one directory in `dir` (the median of
 * 3 rounds of 300 and 100). Each RUN step of ours re-creates every directory and
 * symlink of its parent's tree (a clone of the snapshot), so its cost follows this,
 * and on ext4 it varies 30-fold with the directory and the churn it has seen.
 */
function inodeProbe(dir: string): { symlinkUs: number; mkdirUs: number } {
  const sym: number[] = [];
  const mk: number[] = [];
  for (let r = 0; r < 3; r++) {
    const d = fs.mkdtempSync(path.join(dir, "probe-"));
    let t0 = performance.now();
    for (let i = 0; i < 300; i++) fs.symlinkSync("busybox", path.join(d, `s${i}`));
    sym.push(((performance.now() - t0) * 1000) / 300);
    t0 = performance.now();
    for (let i = 0; i < 100; i++) fs.mkdirSync(path.join(d, `d${i}`));
    mk.push(((performance.now() - t0) * 1000) / 100);
    fs.rmSync(d, { recursive: true, force: true });
  }
  return { symlinkUs: median(sym), mkdirUs: median(mk) };
}

// ---------------------------------------------------------------- report

function perStep(s: Record<string, Scenario> | undefined): number | undefined {
  if (!s?.chainCold || !s.base) return undefined;
  return (s.chainCold.median - s.base.median) / STEPS;
}

function report(
  ours: Record<string, OursResults>,
  oci: Record<string, Scenario> | { error: string },
  buildah: BuildahResults,
): Record<string, unknown> {
  const bh = buildah.scenarios;
  const primary = ours["binary"] ? "binary" : Object.keys(ours)[0]!;
  const labels: Array<[string, string]> = [
    ["base", "base: FROM only, cold"],
    ["parallel", "parallel: 2 × sleep 2, cold"],
    ["chainCold", `chain: ${STEPS} RUN, cold`],
    ["chainCached", `chain: ${STEPS} RUN, cached`],
    ["cChainCold", "c-chain (shared), cold"],
    ["cChainNoop", "c-chain (shared), no-op"],
  ];
  const runtimes = Object.keys(ours);
  console.log(`\n== ours vs buildah (${BUILDAH_DRIVER} driver, crun), median seconds`);
  const rows = labels.filter(([k]) => runtimes.some((rt) => ours[rt]![k])).map(([k, label]) => {
    const peer = bh?.[k];
    const row = [label];
    for (const rt of runtimes) {
      const s = ours[rt]![k];
      row.push(s ? `${sec(s.median)}${s.ok ? "" : " !!"}` : "-");
    }
    row.push(peer ? `${sec(peer.median)}${peer.ok ? "" : " !!"}` : "-");
    for (const rt of runtimes) row.push(ratio(ours[rt]![k]?.median, peer?.median));
    return row;
  });
  const step = (o: Record<string, Scenario> | undefined) => perStep(o);
  const stepRow = [`per-step overhead (chain−base)/${STEPS}`];
  for (const rt of runtimes) stepRow.push(sec(step(ours[rt])));
  stepRow.push(sec(step(bh)));
  for (const rt of runtimes) stepRow.push(ratio(step(ours[rt]), step(bh)));
  rows.push(stepRow);
  printTable(
    [
      "scenario",
      ...runtimes.map((rt) => `ours ${rt}`),
      "buildah",
      ...runtimes.map((rt) => `${rt} ÷ buildah`),
    ],
    rows,
  );
  for (const rt of runtimes) {
    const p = ours[rt]!;
    const bits = [
      p.chainCold?.runVertexMs !== undefined
        ? `RUN vertex mean ${p.chainCold.runVertexMs.toFixed(0)} ms (chain cold)`
        : "",
      p.parallel?.overlapMs !== undefined ? `sleeps overlapped ${sec(p.parallel.overlapMs)} s` : "",
      `peak RSS ${Math.max(...Object.values(p).map((s) => s.rssMiB)).toFixed(0)} MiB`,
    ].filter(Boolean);
    console.log(`  ${rt}: ${bits.join(", ")}`);
  }
  if (buildah.error) console.log(`\nbuildah: not (fully) measured: ${buildah.error}`);

  if (WITH_C_CHAIN) {
    const p = ours[primary]!;
    console.log(`\n== c-chain against the reference medians of ../shared/bench (other machine)`);
    printTable(["scenario", `ours ${primary}`, "BuildKit ref", "ours ÷ BuildKit", "buildah ref"], [
      [
        "cold",
        sec(p.cChainCold?.median),
        REFERENCE.buildkit.cold.toFixed(2),
        ratio(p.cChainCold?.median, REFERENCE.buildkit.cold * 1000),
        REFERENCE.buildah.cold.toFixed(2),
      ],
      [
        "no-op",
        sec(p.cChainNoop?.median),
        REFERENCE.buildkit.noop.toFixed(2),
        ratio(p.cChainNoop?.median, REFERENCE.buildkit.noop * 1000),
        REFERENCE.buildah.noop.toFixed(2),
      ],
    ]);
  }

  if (!("error" in oci)) {
    console.log(`\n== crun vs runc (${primary}, chain of ${STEPS} RUN, cold, interleaved)`);
    const c = oci["crun"]!;
    const r = oci["runc"]!;
    const base = ours[primary]?.base?.median;
    const ps = (s: Scenario) => (base === undefined ? NaN : (s.median - base) / STEPS);
    printTable(["oci runtime", "median s", "min s", "runs", "per step s", "÷ crun"], [
      ["crun", sec(c.median), sec(c.min), String(c.runs.length), sec(ps(c)), "1.00x"],
      [
        "runc",
        sec(r.median),
        sec(r.min),
        String(r.runs.length),
        sec(ps(r)),
        ratio(r.median, c.median),
      ],
    ]);
  } else console.log(`\ncrun vs runc: not measured: ${oci.error}`);

  const p = ours[primary]!;
  const parMs = p.parallel!.median;
  const parPass = parMs < PARALLEL_TARGET_MS && p.parallel!.ok;
  const cacheOk = Object.values(ours).every((r) => Object.values(r).every((s) => s.ok)) &&
    ("error" in oci || Object.values(oci).every((s) => s.ok));
  console.log(`\n== targets (${primary}${QUICK ? ", --quick" : ""})`);
  const line = (pass: boolean, text: string) =>
    console.log(pass ? `PASS  ${text}` : `!!!!! FAIL  ${text}  !!!!!`);
  line(
    parPass,
    `two stages of sleep 2, cold: ${sec(parMs)} s < ${PARALLEL_TARGET_MS / 1000} s (median of ${
      p.parallel!.runs.length
    }; sleeps overlapped ${sec(p.parallel!.overlapMs)} s)`,
  );
  line(cacheOk, "every cache check (no RUN cached cold, every RUN cached on rebuild)");
  for (const rt of runtimes) {
    if (rt === primary) continue;
    const q = ours[rt]!.parallel!;
    console.log(
      `      ${rt}: parallel ${sec(q.median)} s (${
        q.median < PARALLEL_TARGET_MS ? "< 3 s" : ">= 3 s"
      })`,
    );
  }
  return {
    targets: {
      primary,
      parallelMs: Math.round(parMs),
      parallelPass: parPass,
      cacheChecksPass: cacheOk,
    },
    perStepMs: Object.fromEntries([
      ...runtimes.map((rt) => [rt, round(step(ours[rt]))]),
      ["buildah", round(step(bh))],
    ]),
  };
}

function round(x: number | undefined): number | null {
  return x === undefined || Number.isNaN(x) ? null : Math.round(x);
}

function compact(s: Scenario): Record<string, unknown> {
  return {
    medianMs: Math.round(s.median),
    minMs: Math.round(s.min),
    runsMs: s.runs,
    rssMiB: Math.round(s.rssMiB),
    load: Number(s.load.toFixed(2)),
    ok: s.ok,
    ...(s.note ? { note: s.note } : {}),
    ...(s.runVertexMs !== undefined ? { runVertexMs: Math.round(s.runVertexMs) } : {}),
    ...(s.overlapMs !== undefined ? { overlapMs: Math.round(s.overlapMs) } : {}),
  };
}

function compactAll(r: Record<string, Scenario> | { error: string }): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(r).map(([k, v]) => [k, typeof v === "string" ? v : compact(v)]),
  );
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const loadStart = loadAverage();
  const started = performance.now();
  console.log(
    `RUN-step bench: chain of ${STEPS} RUN, ${RUNS} run(s) for short measurements, runtimes ${
      RUNTIMES.join(",")
    }${QUICK ? " (--quick)" : ""}; runner ${runtimeName()}, ${CPUS} cpus, load ${loadStart.text}`,
  );
  if (RUNTIMES.includes("binary")) ensureBinary();
  fs.mkdirSync(BASE_DIR, { recursive: true });
  // Lowercase: buildah names an `oci:DIR` base image after DIR and refuses capitals.
  const work = path.join(BASE_DIR, `bench-run-steps-${process.pid}-${Date.now().toString(36)}`);
  fs.mkdirSync(work);
  try {
    const w = writeWorkloads(work);
    process.stdout.write("busybox base image (scripts/make_base_image.ts): ");
    const made = await makeBaseImage([w.layout]);
    if (made !== 0) throw new Error(`make_base_image.ts exited ${made}`);
    console.log(`workloads, busybox layout and stores in ${work}`);
    const probe = inodeProbe(work);
    console.log(
      `file system probe: a symlink takes ${probe.symlinkUs.toFixed(0)} µs, a directory ${
        probe.mkdirUs.toFixed(0)
      } µs to create there${
        probe.symlinkUs > 150
          ? " (slow: every RUN of ours clones its parent tree, so ours pays this per" +
            " symlink and directory of the image, per step; try --dir elsewhere)"
          : ""
      }`,
    );
    if (!WITH_C_CHAIN && !QUICK && !flags["no-c-chain"]) {
      console.log(`c-chain: not found at ${C_CHAIN} (set BUILDKIT_BENCH_DIR): skipped`);
    }
    const ours: Record<string, OursResults> = {};
    const primary = RUNTIMES.includes("binary") ? "binary" : RUNTIMES[0]!;
    let oci: Record<string, Scenario> | { error: string } = { error: "not measured" };
    for (const rt of [primary, ...RUNTIMES.filter((r) => r !== primary)]) {
      const r = await benchOurs(rt, rt === primary, w, work);
      ours[rt] = r.res;
      if (r.oci) oci = r.oci;
    }
    const buildah: BuildahResults = flags["no-buildah"]
      ? { scenarios: {}, error: "skipped (--no-buildah)" }
      : await benchBuildah(w, work);
    const summary = report(ours, oci, buildah);
    const totalS = (performance.now() - started) / 1000;
    const loadEnd = loadAverage();
    console.log(`\ntotal ${totalS.toFixed(0)} s, load ${loadStart.text} → ${loadEnd.text}`);
    const json = {
      version: 1,
      date: new Date().toISOString(),
      quick: QUICK,
      steps: STEPS,
      runs: RUNS,
      runner: runtimeName(),
      cpus: CPUS,
      loadStart: loadStart.one,
      loadEnd: loadEnd.one,
      totalS: Math.round(totalS),
      buildahDriver: BUILDAH_DRIVER,
      dir: work,
      inodeProbeUs: { symlink: Math.round(probe.symlinkUs), mkdir: Math.round(probe.mkdirUs) },
      ours: Object.fromEntries(Object.entries(ours).map(([rt, r]) => [rt, compactAll(r)])),
      ociRuntimes: compactAll(oci),
      buildah: {
        ...compactAll(buildah.scenarios),
        ...(buildah.error ? { error: buildah.error } : {}),
      },
      ...summary,
    };
    console.log(`BENCH_JSON ${JSON.stringify(json)}`);
  } finally {
    if (flags.keep) console.log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
