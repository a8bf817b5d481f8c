// Ctrl-C during a build: the builder stops the running step, exits non-zero, leaves no
// mount behind, and the next build on the same store works.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { makeBusyboxLayout } from "../_fixtures/busybox_image.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DENO = join(ROOT, "node_modules/.bin/deno");

describe("interrupt", () => {
  it("SIGINT during RUN stops the build quickly, cleans up, and the store stays usable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bk-int-"));
    await makeBusyboxLayout(join(dir, "busybox"));
    writeFileSync(join(dir, "Dockerfile"), "FROM busybox\nRUN echo started && sleep 30\n");
    const args = [
      "run",
      "-A",
      join(ROOT, "cli.ts"),
      "build",
      "--cache-dir",
      join(dir, "store"),
      "--progress=plain",
      "--build-context",
      `busybox=oci-layout://${join(dir, "busybox")}:busybox`,
      dir,
    ];
    const child = spawn(DENO, args, { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (c: Uint8Array) => (err += new TextDecoder().decode(c)));
    // Interrupt once the step has started.
    const started = Date.now();
    while (!err.includes("started") && Date.now() - started < 60_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(err.includes("started"), `the RUN step started: ${err.slice(-500)}`);
    const t = Date.now();
    child.kill("SIGINT");
    const code = await new Promise<number>((r) => child.on("close", (c) => r(c ?? 128)));
    assert.notEqual(code, 0, "an interrupted build fails");
    assert.ok(Date.now() - t < 15_000, "it stopped well before the 30 s sleep ended");
    assert.match(err, /cancelled|interrupt/i);
    const mounts = readFileSync("/proc/self/mounts", "utf8");
    assert.ok(!mounts.includes(join(dir, "store")), "no overlay left mounted under the store");
    // The same store builds again.
    writeFileSync(join(dir, "Dockerfile"), "FROM busybox\nRUN echo ok > /ok\n");
    const again = spawnSync(DENO, [
      ...args.slice(0, -1),
      "-o",
      `type=local,dest=${join(dir, "out")}`,
      dir,
    ], {
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(readFileSync(join(dir, "out/ok"), "utf8"), "ok\n");
  });
});
