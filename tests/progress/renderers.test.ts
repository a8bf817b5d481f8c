import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createPlainRenderer,
  createRawJsonRenderer,
  createRenderer,
  createTtyRenderer,
  formatBytes,
  type ProgressEvent,
} from "../../src/progress/mod.ts";

const enc = new TextEncoder();
const events: ProgressEvent[] = [
  {
    type: "vertex.started",
    digest: "sha256:a",
    name: "[internal] load build context",
    inputs: [],
    time: 1000,
  },
  {
    type: "vertex.started",
    digest: "sha256:b",
    name: "[stage-0 1/2] COPY . /app",
    inputs: ["sha256:a"],
    time: 1000,
  },
  { type: "vertex.completed", digest: "sha256:b", time: 1000, cached: true },
  {
    type: "vertex.log",
    digest: "sha256:a",
    stream: 1,
    data: enc.encode("line one\nline "),
    time: 1250,
  },
  { type: "vertex.log", digest: "sha256:a", stream: 1, data: enc.encode("two\n"), time: 1500 },
  { type: "vertex.completed", digest: "sha256:a", time: 2300, cached: false },
  {
    type: "vertex.started",
    digest: "sha256:c",
    name: "[stage-0 2/2] RUN false",
    inputs: [],
    time: 2300,
  },
  {
    type: "vertex.completed",
    digest: "sha256:c",
    time: 2400,
    cached: false,
    error: "exit code: 1",
  },
];

describe("progress renderers", () => {
  it("createPlainRenderer() prints BuildKit's #N lines with CACHED, DONE, ERROR and timed logs", () => {
    let out = "";
    const r = createPlainRenderer((s) => (out += s));
    for (const e of events) r.write(e);
    r.close();
    assert.equal(
      out,
      [
        "",
        "#1 [internal] load build context",
        "",
        "#2 [stage-0 1/2] COPY . /app",
        "#2 CACHED",
        "",
        "#1 [internal] load build context",
        "#1 0.250 line one",
        "#1 0.500 line two",
        "#1 DONE 1.3s",
        "",
        "#3 [stage-0 2/2] RUN false",
        "#3 ERROR: exit code: 1",
        "",
      ].join("\n"),
    );
  });

  it("createPlainRenderer() flushes a last log line without a newline when the vertex ends", () => {
    let out = "";
    const r = createPlainRenderer((s) => (out += s));
    r.write({ type: "vertex.started", digest: "d", name: "x", inputs: [], time: 0 });
    r.write({
      type: "vertex.log",
      digest: "d",
      stream: 2,
      data: enc.encode("no newline"),
      time: 10,
    });
    r.write({ type: "vertex.completed", digest: "d", time: 20, cached: false });
    assert.match(out, /#1 0\.020 no newline\n#1 DONE 0\.0s/);
  });

  it("createRawJsonRenderer() writes one SolveStatus-shaped JSON object per line, logs in base64", () => {
    const lines: string[] = [];
    const r = createRawJsonRenderer((s) => lines.push(s));
    for (const e of events) r.write(e);
    assert.equal(lines.length, events.length);
    const parsed = lines.map((l) => JSON.parse(l));
    assert.equal(parsed[2].vertexes[0].cached, true);
    assert.equal(parsed[2].vertexes[0].name, "[stage-0 1/2] COPY . /app");
    assert.equal(atob(parsed[3].logs[0].data), "line one\nline ");
    assert.equal(parsed[7].vertexes[0].error, "exit code: 1");
    for (const l of lines) assert.ok(l.endsWith("\n") && !l.slice(0, -1).includes("\n"));
  });

  it("createTtyRenderer() redraws in place and marks cached and failed rows", () => {
    let out = "";
    let t = 1000;
    const r = createTtyRenderer((s) => (out += s), { now: () => t, intervalMs: 0, columns: 60 });
    for (const e of events) {
      t = e.time;
      r.write(e);
    }
    r.close();
    assert.ok(/\[\d+F/.test(out.replaceAll("\x1b", "")), "cursor moved up to redraw");
    const final = out.slice(out.lastIndexOf("[+] Building"));
    assert.match(final, /FINISHED/);
    assert.match(final, /COPY \. \/app +CACHED/);
    assert.match(final, /RUN false +ERROR/);
  });

  it("createRenderer() picks tty on a terminal and plain otherwise for auto", () => {
    let a = "";
    const plain = createRenderer("auto", { write: (s) => (a += s), isTerminal: false });
    plain.write(events[0]!);
    assert.match(a, /^\n#1 /);
    let q = "";
    const quiet = createRenderer("quiet", { write: (s) => (q += s), isTerminal: true });
    for (const e of events) quiet.write(e);
    quiet.close();
    assert.equal(q, "");
  });

  it("formatBytes() uses decimal units", () => {
    assert.equal(formatBytes(512), "512B");
    assert.equal(formatBytes(1234567), "1.23MB");
  });
});
