// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Helpers shared by the benchmarks: timing a child process with its peak RSS,
 * medians, load average, tables.
 *
 * @module
 */

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** What one timed run of a command gave. */
export interface Measured {
  /** Wall-clock milliseconds from spawn to exit. */
  ms: number;
  /** Peak resident set (MiB) of the command, NaN when it could not be read. */
  rssMiB: number;
  /** Exit code (-1 when killed by a signal). */
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@linkcode measureCommand}. */
export interface MeasureOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
}

const GNU_TIME = "/usr/bin/time";

/** Whether `/usr/bin/time` (GNU time, Debian package `time`) is there to read peak RSS. */
export function haveGnuTime(): boolean {
  try {
    return spawnSync(GNU_TIME, ["-f", "%M", "true"], { encoding: "utf8" }).status === 0;
  } catch {
    return false;
  }
}

/** Whether a program is on PATH. */
export function have(tool: string): boolean {
  return spawnSync("bash", ["-c", `command -v ${tool}`]).status === 0;
}

/**
 * Runs a command to completion; returns its wall time and peak RSS. Peak RSS
 * comes from GNU time (`%M`, the max RSS of the process) when installed, else
 * from polling `/proc/<pid>/status` VmHWM every 10 ms (may miss a late spike).
 *
 * @example
 * ```ts
 * import { measureCommand } from "./_util.ts";
 * const r = await measureCommand(["true"]);
 * console.assert(r.code === 0 && r.ms >= 0);
 * ```
 */
export async function measureCommand(
  argv: string[],
  options: MeasureOptions = {},
): Promise<Measured> {
  const useTime = gnuTimeCached ??= haveGnuTime();
  let timeFile: string | undefined;
  let cmd = argv;
  if (useTime) {
    timeFile = path.join(os.tmpdir(), `bench-time-${process.pid}-${Math.random()}.txt`);
    cmd = [GNU_TIME, "-f", "%M", "-o", timeFile, ...argv];
  }
  const t0 = performance.now();
  const child = spawn(cmd[0]!, cmd.slice(1), {
    cwd: options.cwd,
    env: { ...process.env, ...options.env } as Record<string, string>,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  child.stdout!.on("data", (c: Uint8Array) => out.push(c));
  child.stderr!.on("data", (c: Uint8Array) => err.push(c));
  let polledKiB = 0;
  const poll = useTime ? undefined : setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, "utf8"));
      if (m) polledKiB = Math.max(polledKiB, Number(m[1]));
    } catch {
      // The process has exited.
    }
  }, 10);
  const code = await new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c: number | null) => resolve(c ?? -1));
  });
  const ms = performance.now() - t0;
  if (poll) clearInterval(poll);
  let rssKiB = polledKiB || NaN;
  if (timeFile !== undefined) {
    try {
      const lines = fs.readFileSync(timeFile, "utf8").trim().split("\n");
      rssKiB = Number(lines[lines.length - 1]);
      fs.rmSync(timeFile, { force: true });
    } catch {
      rssKiB = NaN;
    }
  }
  const dec = new TextDecoder();
  return {
    ms,
    rssMiB: rssKiB / 1024,
    code,
    stdout: dec.decode(concat(out)),
    stderr: dec.decode(concat(err)),
  };
}

let gnuTimeCached: boolean | undefined;

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const r = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    r.set(p, o);
    o += p.length;
  }
  return r;
}

/** Runs a shell pipeline (bash, pipefail) and times it. */
export function timeShell(script: string): { ms: number; ok: boolean; err: string } {
  const t0 = performance.now();
  const r = spawnSync("bash", ["-c", `set -o pipefail; ${script}`], { encoding: "utf8" });
  return { ms: performance.now() - t0, ok: r.status === 0, err: (r.stderr ?? "").trim() };
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The 1-minute load average, as text with the 5 and 15-minute ones. */
export function loadAverage(): { one: number; text: string } {
  const [a = NaN, b = NaN, c = NaN] = os.loadavg();
  return { one: a, text: `${a.toFixed(2)} ${b.toFixed(2)} ${c.toFixed(2)}` };
}

/** Name and version of the runtime running this script. */
export function runtimeName(): string {
  const g = globalThis as Record<string, unknown>;
  if (g["Bun"]) return `bun ${(g["Bun"] as { version: string }).version}`;
  if (g["Deno"]) return `deno ${(g["Deno"] as { version: { deno: string } }).version.deno}`;
  return `node ${process.version}`;
}

/** Prints rows as a left-aligned text table with a header rule. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

/** Seconds with 2 decimals, or `-`. */
export function sec(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? "-" : (ms / 1000).toFixed(2);
}

/** A ratio `a / b` as `1.23x`, or `-`. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !(b > 0) || Number.isNaN(a)) return "-";
  return `${(a / b).toFixed(2)}x`;
}
