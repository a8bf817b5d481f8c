// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

import type { ProgressEvent, ProgressSink } from "./events.ts";

interface VertexState {
  num: number;
  started: number;
  name: string;
  partialLine: Record<number, string>;
}

/**
 * A renderer in the shape of BuildKit's `--progress=plain`: `#N name`, log lines as
 * `#N 0.123 text` (seconds since the vertex started), `#N CACHED`, `#N DONE 0.1s` or
 * `#N ERROR: message`, and a blank line between vertices. Logs are never clipped.
 *
 * @example
 * ```ts
 * import { createPlainRenderer } from "./plain.ts";
 * let out = "";
 * const r = createPlainRenderer((s) => out += s);
 * r.write({ type: "vertex.started", digest: "sha256:a", name: "[stage-0 1/2] COPY . /", inputs: [], time: 0 });
 * r.write({ type: "vertex.completed", digest: "sha256:a", time: 100, cached: false });
 * r.close();
 * console.assert(out.includes("#1 DONE 0.1s"));
 * ```
 */
export function createPlainRenderer(write: (text: string) => void): ProgressSink {
  const vertices = new Map<string, VertexState>();
  let next = 1;
  let last: string | undefined;
  const header = (digest: string): VertexState | undefined => {
    const v = vertices.get(digest);
    if (v && last !== digest) {
      write(`\n#${v.num} ${v.name}\n`);
      last = digest;
    }
    return v;
  };
  const flushPartial = (v: VertexState, now: number) => {
    for (const [stream, text] of Object.entries(v.partialLine)) {
      if (text !== "") write(`#${v.num} ${seconds(now - v.started)} ${text}\n`);
      delete v.partialLine[Number(stream)];
    }
  };
  return {
    write(ev: ProgressEvent) {
      switch (ev.type) {
        case "vertex.started": {
          if (vertices.has(ev.digest)) return;
          vertices.set(ev.digest, {
            num: next++,
            started: ev.time,
            name: ev.name,
            partialLine: {},
          });
          header(ev.digest);
          return;
        }
        case "vertex.log": {
          const v = header(ev.digest);
          if (!v) return;
          const text = (v.partialLine[ev.stream] ?? "") + new TextDecoder().decode(ev.data);
          const lines = text.split("\n");
          v.partialLine[ev.stream] = lines.pop() ?? "";
          for (const line of lines) write(`#${v.num} ${seconds(ev.time - v.started)} ${line}\n`);
          return;
        }
        case "vertex.status": {
          const v = header(ev.digest);
          if (!v) return;
          const amount = ev.unit === "items" ? `${ev.current}` : formatBytes(ev.current);
          const total = ev.total === undefined
            ? ""
            : ev.unit === "items"
            ? ` / ${ev.total}`
            : ` / ${formatBytes(ev.total)}`;
          if (ev.done) write(`#${v.num} ${ev.id} ${amount}${total} done\n`);
          return;
        }
        case "vertex.completed": {
          const v = header(ev.digest);
          if (!v) return;
          flushPartial(v, ev.time);
          if (ev.cached) write(`#${v.num} CACHED\n`);
          else if (ev.error !== undefined) write(`#${v.num} ERROR: ${ev.error}\n`);
          else write(`#${v.num} DONE ${(Math.max(0, ev.time - v.started) / 1000).toFixed(1)}s\n`);
          return;
        }
        case "warning":
          write(`\nWARNING: ${ev.rule}: ${ev.detail}${ev.line ? ` (line ${ev.line})` : ""}\n`);
          last = undefined;
          return;
      }
    },
    close() {
      write("");
    },
  };
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** Formats a byte count as BuildKit does in progress lines (`1.23MB`, `512B`). */
export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v}B` : `${v.toFixed(2)}${units[i]}`;
}
