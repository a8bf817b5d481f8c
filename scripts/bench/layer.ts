// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Layer export benchmark: builds a tree of 10,000 small files and one 200 MB
 * file, then measures
 * - `writeLayerFromTree()` (gzip, default level) against `tar -c | gzip` and
 *   `tar -c | pigz`,
 * - sha256 throughput of node:crypto against `sha256sum` on the 200 MB file,
 * - peak RSS (VmHWM) of this process around the export.
 *
 * Usage: `deno run -A scripts/bench/layer.ts` or `bun scripts/bench/layer.ts`.
 * Environment: `BENCH_DIR` (default: /dev/shm when present, else the OS temp
 * dir), `BENCH_BIG_MB` (default 200), `BENCH_SMALL_FILES` (default 10000).
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { writeLayerFromTree } from "../../src/archive/mod.ts";

const BIG_MB = Number(process.env["BENCH_BIG_MB"] ?? 200);
const SMALL = Number(process.env["BENCH_SMALL_FILES"] ?? 10_000);
const BASE = process.env["BENCH_DIR"] ??
  (fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir());

function runtimeName(): string {
  const g = globalThis as Record<string, unknown>;
  if (g["Bun"]) return `bun ${(g["Bun"] as { version: string }).version}`;
  if (g["Deno"]) return `deno ${(g["Deno"] as { version: { deno: string } }).version.deno}`;
  return `node ${process.version}`;
}

/** VmHWM (peak resident set) of this process in MiB, or NaN off Linux. */
function peakRssMiB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Semi-compressible bytes: each block mixes pseudo-random bytes and text. */
function fillBlock(buf: Uint8Array, seed: number): void {
  let x = seed | 1;
  const half = buf.length >> 1;
  for (let i = 0; i < half; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  const text = new TextEncoder().encode(`line ${seed} of a log file with some repeated words\n`);
  for (let i = half; i < buf.length; i++) buf[i] = text[(i - half) % text.length]!;
}

function buildTree(root: string): void {
  const block = new Uint8Array(1 << 20);
  const fd = fs.openSync(path.join(root, "big.bin"), "w");
  for (let i = 0; i < BIG_MB; i++) {
    fillBlock(block, i + 1);
    fs.writeSync(fd, block);
  }
  fs.closeSync(fd);
  const perDir = 100;
  for (let d = 0; d < Math.ceil(SMALL / perDir); d++) {
    const dir = path.join(root, `dir${String(d).padStart(3, "0")}`);
    fs.mkdirSync(dir);
    for (let f = 0; f < perDir && d * perDir + f < SMALL; f++) {
      fs.writeFileSync(
        path.join(dir, `file${f}.txt`),
        `small file ${d}/${f}\n`.repeat(1 + ((d * perDir + f) % 40)),
      );
    }
  }
}

/** Runs a shell pipeline; `cpuMs` is user+sys of every process in it (bash's `time`). */
function shell(cmd: string): { ms: number; cpuMs: number; ok: boolean; err: string } {
  const t0 = performance.now();
  const script = `set -o pipefail; TIMEFORMAT='CPU %3U %3S'; time ( ${cmd} )`;
  const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
  const ms = performance.now() - t0;
  const m = /CPU ([\d.]+) ([\d.]+)/.exec(r.stderr ?? "");
  const cpuMs = m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN;
  const err = (r.stderr ?? "").replace(/CPU [\d.]+ [\d.]+\n?/, "");
  return { ms, cpuMs, ok: r.status === 0, err };
}

/** user+sys milliseconds of this process since `start`. */
function cpuSince(start: { user: number; system: number }): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
}

function have(tool: string): boolean {
  return spawnSync("bash", ["-c", `command -v ${tool}`]).status === 0;
}

function mbps(bytes: number, ms: number): string {
  return `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(BASE, "bench-layer-"));
  const tree = path.join(work, "tree");
  fs.mkdirSync(tree);
  try {
    console.log(`runtime: ${runtimeName()}, cpus: ${os.cpus().length}, dir: ${work}`);
    let t0 = performance.now();
    buildTree(tree);
    console.log(
      `tree: ${SMALL} small files + ${BIG_MB} MB file, built in ${
        (performance.now() - t0).toFixed(0)
      } ms`,
    );

    // Ours: tree → tar → sha256 → gzip → sha256 → file.
    const rssBefore = peakRssMiB();
    const outFile = path.join(work, "ours.tar.gz");
    const fd = fs.openSync(outFile, "w");
    t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const res = await writeLayerFromTree(tree, {
      compression: "gzip",
      sink: {
        write: (c) => {
          let off = 0;
          while (off < c.length) off += fs.writeSync(fd, c, off, c.length - off);
        },
      },
    });
    const oursMs = performance.now() - t0;
    const oursCpu = cpuSince(cpu0);
    fs.closeSync(fd);
    const rssAfter = peakRssMiB();
    console.log(
      `ours   writeLayerFromTree gzip-6: ${oursMs.toFixed(0)} ms, ${
        mbps(res.uncompressedSize, oursMs)
      } of tar (CPU ${oursCpu.toFixed(0)} ms, ${mbps(res.uncompressedSize, oursCpu)}), ratio ${
        (res.size / res.uncompressedSize).toFixed(3)
      }`,
    );
    console.log(
      `       peak RSS (VmHWM): ${rssBefore.toFixed(0)} MiB before export, ${
        rssAfter.toFixed(0)
      } MiB after`,
    );

    const gz = shell(`tar -C ${tree} --numeric-owner -cf - . | gzip -6 > ${work}/gnu.tar.gz`);
    const gzSize = fs.statSync(`${work}/gnu.tar.gz`).size;
    console.log(
      `ref    tar -c | gzip -6:           ${gz.ms.toFixed(0)} ms, ${
        mbps(res.uncompressedSize, gz.ms)
      } (CPU ${gz.cpuMs.toFixed(0)} ms), ratio ${(gzSize / res.uncompressedSize).toFixed(3)}${
        gz.ok ? "" : " FAILED " + gz.err
      }`,
    );
    let pigzMs = NaN;
    if (have("pigz")) {
      const pz = shell(`tar -C ${tree} --numeric-owner -cf - . | pigz -6 > ${work}/pigz.tar.gz`);
      pigzMs = pz.ms;
      console.log(
        `ref    tar -c | pigz -6:           ${pz.ms.toFixed(0)} ms, ${
          mbps(res.uncompressedSize, pz.ms)
        } (CPU ${pz.cpuMs.toFixed(0)} ms)${pz.ok ? "" : " FAILED " + pz.err}`,
      );
    } else {
      console.log("ref    tar -c | pigz: skipped (pigz is not installed)");
    }
    console.log(`ratio  ours/gzip CPU time: ${(oursCpu / gz.cpuMs).toFixed(2)}x`);
    console.log(
      `ratio  ours/gzip wall time: ${(oursMs / gz.ms).toFixed(2)}x` +
        (Number.isNaN(pigzMs) ? "" : `, ours/pigz: ${(oursMs / pigzMs).toFixed(2)}x`),
    );

    // sha256 of the big file: node:crypto streaming vs sha256sum.
    const big = path.join(tree, "big.bin");
    const bigSize = fs.statSync(big).size;
    t0 = performance.now();
    const h = createHash("sha256");
    const bfd = fs.openSync(big, "r");
    const buf = new Uint8Array(1 << 20);
    while (true) {
      const n = fs.readSync(bfd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
    fs.closeSync(bfd);
    const ourHex = h.digest("hex");
    const shaMs = performance.now() - t0;
    t0 = performance.now();
    const s = spawnSync("sha256sum", [big], { encoding: "utf8" });
    const sumMs = performance.now() - t0;
    const same = s.stdout?.startsWith(ourHex) ?? false;
    console.log(`sha256 node:crypto: ${shaMs.toFixed(0)} ms, ${mbps(bigSize, shaMs)}`);
    console.log(
      `sha256 sha256sum:   ${sumMs.toFixed(0)} ms, ${mbps(bigSize, sumMs)} (same digest: ${same})`,
    );
    console.log(`ratio  sha256 ours/sha256sum wall time: ${(shaMs / sumMs).toFixed(2)}x`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
