// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

import type { ProgressEvent, ProgressSink } from "./events.ts";

/**
 * `--progress=rawjson`: one JSON object per line, in the shape of BuildKit's
 * `SolveStatus` (`vertexes`, `statuses`, `logs` with base64 data, `warnings`), plus
 * our `cacheMiss` explanation on completed vertices.
 *
 * @example
 * ```ts
 * import { createRawJsonRenderer } from "./rawjson.ts";
 * const lines: string[] = [];
 * const r = createRawJsonRenderer((s) => lines.push(s));
 * r.write({ type: "vertex.completed", digest: "sha256:a", time: 0, cached: true });
 * console.assert(JSON.parse(lines[0]!).vertexes[0].cached === true);
 * ```
 */
export function createRawJsonRenderer(write: (text: string) => void): ProgressSink {
  const names = new Map<string, { name: string; inputs: string[]; started: number }>();
  const iso = (t: number) => new Date(t).toISOString();
  return {
    write(ev: ProgressEvent) {
      let status: Record<string, unknown>;
      switch (ev.type) {
        case "vertex.started":
          names.set(ev.digest, { name: ev.name, inputs: ev.inputs, started: ev.time });
          status = {
            vertexes: [{
              digest: ev.digest,
              inputs: ev.inputs,
              name: ev.name,
              started: iso(ev.time),
            }],
          };
          break;
        case "vertex.completed": {
          const v = names.get(ev.digest);
          const vertex: Record<string, unknown> = {
            digest: ev.digest,
            inputs: v?.inputs ?? [],
            name: v?.name ?? "",
          };
          if (v) vertex.started = iso(v.started);
          vertex.completed = iso(ev.time);
          if (ev.cached) vertex.cached = true;
          if (ev.error !== undefined) vertex.error = ev.error;
          if (ev.cacheMiss) vertex.cacheMiss = ev.cacheMiss;
          status = { vertexes: [vertex] };
          break;
        }
        case "vertex.log":
          status = {
            logs: [{
              vertex: ev.digest,
              stream: ev.stream,
              data: base64(ev.data),
              timestamp: iso(ev.time),
            }],
          };
          break;
        case "vertex.status":
          status = {
            statuses: [{
              id: ev.id,
              vertex: ev.digest,
              current: ev.current,
              ...(ev.total !== undefined ? { total: ev.total } : {}),
              timestamp: iso(ev.time),
              ...(ev.done ? { completed: iso(ev.time) } : {}),
            }],
          };
          break;
        case "warning":
          status = {
            warnings: [{
              vertex: ev.digest ?? "",
              level: 1,
              short: base64(
                new TextEncoder().encode(
                  `${ev.rule}: ${ev.detail}${ev.line ? ` (line ${ev.line})` : ""}`,
                ),
              ),
              ...(ev.url ? { url: ev.url } : {}),
            }],
          };
          break;
      }
      write(JSON.stringify(status) + "\n");
    },
    close() {},
  };
}

function base64(data: Uint8Array): string {
  let s = "";
  for (let i = 0; i < data.length; i += 0x8000) {
    s += String.fromCharCode(...data.subarray(i, i + 0x8000));
  }
  return btoa(s);
}
