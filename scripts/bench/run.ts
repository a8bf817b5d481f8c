// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Runs every benchmark — build.ts (whole builds, peers, targets), layer.ts (layer
 * export and sha256 against gzip/pigz/sha256sum), tar.ts (the tar codec) and
 * run_steps.ts (RUN steps: parallel stages, a RUN chain, crun/runc, buildah) — each
 * as a child process under the runtime running this script, echoes their output and
 * prints one summary, then `BENCH_JSON {…}` with everything for comparing runs.
 *
 * Usage: `deno task bench [--quick] [build.ts flags…]`, i.e.
 * `deno run -A scripts/bench/run.ts …` (or `bun scripts/bench/run.ts …`). Flags other
 * than `--quick` go to build.ts only (`--quick` goes to run_steps.ts too). Exits 0 even
 * when a target fails.
 *
 * @module
 */

import { spawn } from "node:child_process";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { loadAverage, runtimeName } from "./_util.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "../..");
const args = process.argv.slice(2);
const QUICK = args.includes("--quick");

/** argv that runs a script under the runtime running this one. */
function scriptArgv(script: string): string[] {
  const file = path.join(HERE, script);
  if ("Bun" in globalThis) return [process.execPath, file];
  if ("Deno" in globalThis) return [process.execPath, "run", "-A", file];
  return [path.join(REPO, "node_modules/.bin/deno"), "run", "-A", file];
}

/** Runs a child, echoes its lines (except BENCH_JSON), returns the whole stdout. */
function runChild(
  label: string,
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; seconds: number }> {
  console.log(`\n######## ${label}: ${argv.map((a) => path.relative(REPO, a) || a).join(" ")}`);
  const t0 = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: REPO,
    env: { ...process.env, ...env } as Record<string, string>,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  let pending = "";
  const dec = new TextDecoder();
  child.stdout!.on("data", (c: Uint8Array) => {
    const text = dec.decode(c, { stream: true });
    out += text;
    pending += text;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const l of lines) if (!l.startsWith("BENCH_JSON ")) console.log(l);
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code: number | null) => {
      if (pending && !pending.startsWith("BENCH_JSON ")) console.log(pending);
      resolve({ code: code ?? -1, out, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

function num(re: RegExp, text: string): number | undefined {
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
}

async function main(): Promise<void> {
  const load0 = loadAverage();
  console.log(`benchmarks under ${runtimeName()}${QUICK ? " (--quick)" : ""}, load ${load0.text}`);
  const build = await runChild("build", [...scriptArgv("build.ts"), ...args]);
  const layerEnv: Record<string, string> = QUICK
    ? { BENCH_BIG_MB: "20", BENCH_SMALL_FILES: "1000" }
    : {};
  const layer = await runChild("layer", scriptArgv("layer.ts"), layerEnv);
  const tar = await runChild("tar", scriptArgv("tar.ts"));
  const runSteps = await runChild("run_steps", [
    ...scriptArgv("run_steps.ts"),
    ...(QUICK ? ["--quick"] : []),
  ]);

  const jsonLine = build.out.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  // deno-lint-ignore no-explicit-any
  const b: any = jsonLine ? JSON.parse(jsonLine.slice("BENCH_JSON ".length)) : undefined;
  const layerSummary = {
    oursGzipWall: num(/ours\/gzip wall time: ([\d.]+)x/, layer.out),
    oursPigzWall: num(/ours\/pigz: ([\d.]+)x/, layer.out),
    oursGzipCpu: num(/ours\/gzip CPU time: ([\d.]+)x/, layer.out),
    sha256VsSha256sum: num(/sha256 ours\/sha256sum wall time: ([\d.]+)x/, layer.out),
    peakRssMiB: num(/peak RSS \(VmHWM\): [\d.]+ MiB before export, ([\d.]+) MiB after/, layer.out),
  };
  const tarSummary = {
    writeRead1FileMBs: num(/write\+read, 1 file .*?= (\d+) MB\/s/, tar.out),
    writeRead10kFilesMBs: num(/write\+read, 10000 files .*?= (\d+) MB\/s/, tar.out),
  };

  console.log("\n================ summary");
  const fmt = (x: number | undefined, unit = "x") => (x === undefined ? "-" : `${x}${unit}`);
  if (b) {
    const t = b.targets;
    const r = b.results?.[t.primary] ?? {};
    const s = (k: string) => r[k] ? `${(r[k].medianMs / 1000).toFixed(2)} s` : "-";
    console.log(
      `build (${t.primary}, ${b.smallFiles} files + ${b.bigMB} MB): cold ${s("cold")}, no-op ${
        s("noop")
      }, touch ${s("touch")}, edit ${s("edit")}, export ${s("export")}, edit big ${s("editBig")}`,
    );
    const l = b.peers?.layer;
    if (l) {
      console.log(
        `layer export (build.ts): ours/gzip ${(l.oursMs / l.gzipMs).toFixed(2)}x` +
          (l.pigzMs ? `, ours/pigz ${(l.oursMs / l.pigzMs).toFixed(2)}x` : ""),
      );
    }
    const h = b.peers?.sha256;
    if (h) {
      console.log(`sha256 (build.ts): ours/sha256sum ${(h.oursMs / h.sha256sumMs).toFixed(2)}x`);
    }
    const bh = b.peers?.buildah;
    if (bh && !bh.error && r.noop && bh.noop) {
      console.log(
        `vs buildah (vfs): cold ${(r.cold.medianMs / bh.cold.medianMs).toFixed(2)}x, no-op ${
          (r.noop.medianMs / bh.noop.medianMs).toFixed(2)
        }x, export ${(r.export.medianMs / bh.export.medianMs).toFixed(2)}x`,
      );
    } else if (bh?.error) console.log(`buildah: ${bh.error}`);
    const mark = (p: boolean) => (p ? "PASS" : "!!!!! FAIL");
    console.log(`${mark(t.noopPass)}  no-op rebuild ${(t.noopMs / 1000).toFixed(2)} s < 0.5 s`);
    console.log(`${mark(t.rssPass)}  peak RSS exporting the layer ${t.peakRssMB} MB < 300 MB`);
    console.log(`${mark(t.cacheChecksPass)}  cache checks`);
  } else console.log(`build bench: no result (exit ${build.code})`);
  console.log(
    `layer.ts: ours/gzip wall ${fmt(layerSummary.oursGzipWall)}, ours/pigz ${
      fmt(layerSummary.oursPigzWall)
    }, ours/gzip CPU ${fmt(layerSummary.oursGzipCpu)}, sha256 ours/sha256sum ${
      fmt(layerSummary.sha256VsSha256sum)
    }, peak RSS ${fmt(layerSummary.peakRssMiB, " MiB")}`,
  );
  console.log(
    `tar.ts: write+read ${fmt(tarSummary.writeRead1FileMBs, " MB/s")} (1 file), ${
      fmt(tarSummary.writeRead10kFilesMBs, " MB/s")
    } (10,000 files)`,
  );
  const rsLine = runSteps.out.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  // deno-lint-ignore no-explicit-any
  const rs: any = rsLine ? JSON.parse(rsLine.slice("BENCH_JSON ".length)) : undefined;
  if (rs) {
    const o = rs.ours?.[rs.targets.primary] ?? {};
    const bh = rs.buildah ?? {};
    const s = (x: { medianMs?: number } | undefined) =>
      x?.medianMs === undefined ? "-" : `${(x.medianMs / 1000).toFixed(2)} s`;
    const r = (a?: { medianMs: number }, b?: { medianMs: number }) =>
      a && b ? ` (${(a.medianMs / b.medianMs).toFixed(2)}x buildah)` : "";
    console.log(
      `run_steps.ts (${rs.targets.primary}): parallel ${s(o.parallel)}${
        r(o.parallel, bh.parallel)
      }, chain of ${rs.steps} cold ${s(o.chainCold)}${r(o.chainCold, bh.chainCold)}, cached ${
        s(o.chainCached)
      }${r(o.chainCached, bh.chainCached)}, per step ${rs.perStepMs?.[rs.targets.primary]} ms`,
    );
    console.log(
      `${rs.targets.parallelPass ? "PASS" : "!!!!! FAIL"}  two stages of sleep 2 in ${
        (rs.targets.parallelMs / 1000).toFixed(2)
      } s < 3 s`,
    );
  } else console.log(`run_steps bench: no result (exit ${runSteps.code})`);
  const load1 = loadAverage();
  console.log(
    `time: build ${build.seconds.toFixed(0)} s, layer ${layer.seconds.toFixed(0)} s, tar ${
      tar.seconds.toFixed(0)
    } s, run_steps ${runSteps.seconds.toFixed(0)} s; load ${load0.text} → ${load1.text}`,
  );
  const failed = [build, layer, tar, runSteps].filter((c) => c.code !== 0).length;
  if (failed > 0) console.log(`!!!!! ${failed} benchmark process(es) exited non-zero`);
  console.log(
    `BENCH_JSON ${
      JSON.stringify({
        version: 1,
        date: new Date().toISOString(),
        runner: runtimeName(),
        quick: QUICK,
        loadStart: load0.one,
        loadEnd: load1.one,
        build: b ?? null,
        layer: layerSummary,
        tar: tarSummary,
        runSteps: rs ?? null,
        exitCodes: { build: build.code, layer: layer.code, tar: tar.code, runSteps: runSteps.code },
      })
    }`,
  );
}

await main();
