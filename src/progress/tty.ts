// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

import type { ProgressEvent, ProgressSink } from "./events.ts";

interface Row {
  name: string;
  started: number;
  completed?: number;
  cached: boolean;
  error?: string;
  logTail: string[];
}

/** Options of the live terminal view. */
export interface TtyOptions {
  /** Clock in milliseconds; injectable for tests. */
  now?: () => number;
  /** Terminal width; lines are cut to it. */
  columns?: number;
  /** Redraw period in milliseconds; 0 redraws on every event only (tests). */
  intervalMs?: number;
  /** How many log lines to show under a running vertex. */
  logLines?: number;
}

/**
 * `--progress=tty`: a live view redrawn in place, like buildx's
 * `[+] Building 2.3s (4/6)` header with one ` => name  0.4s` row per vertex and the
 * last log lines of running steps. On close it draws the final state once more.
 *
 * @example
 * ```ts
 * import { createTtyRenderer } from "./tty.ts";
 * let out = "";
 * let t = 0;
 * const r = createTtyRenderer((s) => out += s, { now: () => t, intervalMs: 0 });
 * r.write({ type: "vertex.started", digest: "a", name: "[1/1] COPY . /", inputs: [], time: 0 });
 * t = 500;
 * r.write({ type: "vertex.completed", digest: "a", time: 500, cached: false });
 * r.close();
 * console.assert(out.includes("=> [1/1] COPY . /"));
 * ```
 */
export function createTtyRenderer(
  write: (text: string) => void,
  options: TtyOptions = {},
): ProgressSink {
  const now = options.now ?? (() => Date.now());
  const columns = options.columns ?? 100;
  const logLines = options.logLines ?? 6;
  const rows = new Map<string, Row>();
  const start = now();
  let drawn = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const cut = (s: string) => (s.length > columns ? s.slice(0, columns - 1) + "…" : s);
  const draw = (final: boolean) => {
    const t = now();
    const lines: string[] = [];
    const done = [...rows.values()].filter((r) => r.completed !== undefined).length;
    lines.push(
      `[+] Building ${((t - start) / 1000).toFixed(1)}s (${done}/${rows.size})${
        final ? " FINISHED" : ""
      }`,
    );
    for (const r of rows.values()) {
      const elapsed = (((r.completed ?? t) - r.started) / 1000).toFixed(1) + "s";
      const state = r.cached ? "CACHED" : r.error !== undefined ? "ERROR" : elapsed;
      const name = ` => ${r.name}`;
      lines.push(
        cut(`${name}${" ".repeat(Math.max(1, columns - name.length - state.length))}${state}`),
      );
      if (r.completed === undefined || r.error !== undefined) {
        for (const l of r.logTail.slice(-logLines)) lines.push(cut(` => => # ${l}`));
      }
    }
    let out = drawn > 0 ? `\x1b[${drawn}F` : "";
    for (const l of lines) out += `\x1b[2K${l}\n`;
    write(out);
    drawn = lines.length;
  };
  return {
    write(ev: ProgressEvent) {
      if (timer === undefined && (options.intervalMs ?? 100) > 0) {
        timer = setInterval(() => draw(false), options.intervalMs ?? 100);
      }
      switch (ev.type) {
        case "vertex.started":
          if (!rows.has(ev.digest)) {
            rows.set(ev.digest, { name: ev.name, started: ev.time, cached: false, logTail: [] });
          }
          break;
        case "vertex.completed": {
          const r = rows.get(ev.digest);
          if (!r) break;
          r.completed = ev.time;
          r.cached = ev.cached;
          if (ev.error !== undefined) r.error = ev.error;
          break;
        }
        case "vertex.log": {
          const r = rows.get(ev.digest);
          if (!r) break;
          const text = new TextDecoder().decode(ev.data).split("\n").filter((l) => l !== "");
          r.logTail.push(...text);
          if (r.logTail.length > logLines) r.logTail.splice(0, r.logTail.length - logLines);
          break;
        }
        default:
          break;
      }
      if ((options.intervalMs ?? 100) === 0) draw(false);
    },
    close() {
      if (timer !== undefined) clearInterval(timer);
      draw(true);
    },
  };
}
