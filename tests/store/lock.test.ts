// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { LockManager, LockTimeoutError } from "../../src/store/mod.ts";
import { deadPid, DENO, REPO, tempDir } from "./_helpers.ts";

function runWorker(
  dir: string,
  counter: string,
  n: number,
): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(DENO, [
      "run",
      "-A",
      path.join(REPO, "tests/store/_lock_worker.ts"),
      dir,
      counter,
      String(n),
    ], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr!.on("data", (d) => (err += String(d)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, err }));
  });
}

describe("LockManager", () => {
  it("withLock() serializes two processes incrementing a counter 50 times each", async () => {
    const dir = tempDir("locks-");
    const counter = path.join(dir, "counter");
    fs.writeFileSync(counter, "0");
    const [a, b] = await Promise.all([
      runWorker(path.join(dir, "locks"), counter, 50),
      runWorker(path.join(dir, "locks"), counter, 50),
    ]);
    assert.equal(a.code, 0, a.err);
    assert.equal(b.code, 0, b.err);
    assert.equal(fs.readFileSync(counter, "utf8"), "100");
    assert.deepEqual(fs.readdirSync(path.join(dir, "locks")), []);
  });

  it("withLock() serializes concurrent holders in one process", async () => {
    const locks = new LockManager(tempDir("locks-"));
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) =>
      locks.withLock("x", async () => {
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 5));
        order.push(i);
        inside--;
      })
    ));
    assert.equal(most, 1);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });

  it("acquire() writes pid, hostname and time, and release() removes the file", async () => {
    const locks = new LockManager(tempDir("locks-"));
    const held = await locks.acquire("index");
    const owner = JSON.parse(fs.readFileSync(held.path, "utf8"));
    assert.equal(owner.pid, process.pid);
    assert.equal(owner.hostname, os.hostname());
    assert.ok(!Number.isNaN(Date.parse(owner.time)));
    held.release();
    assert.equal(fs.existsSync(held.path), false);
    held.release();
  });

  it("acquire() takes over a stale lock whose process is gone", async () => {
    const locks = new LockManager(tempDir("locks-"));
    const file = locks.lockPath("build");
    const stale = {
      pid: deadPid(),
      hostname: os.hostname(),
      time: new Date(0).toISOString(),
      token: "dead",
    };
    fs.writeFileSync(file, JSON.stringify(stale));
    const start = Date.now();
    const held = await locks.acquire("build", { timeoutMs: 2000 });
    assert.ok(Date.now() - start < 1000);
    assert.equal(JSON.parse(fs.readFileSync(file, "utf8")).pid, process.pid);
    held.release();
  });

  it("acquire() takes over an empty lock file once it is old", async () => {
    const locks = new LockManager(tempDir("locks-"));
    const file = locks.lockPath("build");
    fs.writeFileSync(file, "");
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    const held = await locks.acquire("build", { timeoutMs: 2000 });
    held.release();
  });

  it("acquire() times out on a lock held by a live process, naming the holder", async () => {
    const locks = new LockManager(tempDir("locks-"));
    const file = locks.lockPath("busy");
    // pid 1 is always alive.
    const live = { pid: 1, hostname: os.hostname(), time: new Date().toISOString(), token: "live" };
    fs.writeFileSync(file, JSON.stringify(live));
    await assert.rejects(locks.acquire("busy", { timeoutMs: 150 }), (e) => {
      assert.ok(e instanceof LockTimeoutError);
      assert.match(e.message, /busy\.lock/);
      assert.match(e.message, /pid 1 on /);
      return true;
    });
    assert.equal(JSON.parse(fs.readFileSync(file, "utf8")).token, "live");
  });

  it("acquire() times out behind an in-process holder and the chain recovers", async () => {
    const locks = new LockManager(tempDir("locks-"));
    const first = await locks.acquire("q");
    await assert.rejects(locks.acquire("q", { timeoutMs: 50 }), LockTimeoutError);
    first.release();
    const again = await locks.acquire("q", { timeoutMs: 1000 });
    again.release();
  });

  it("acquire() refuses lock names that are not plain", async () => {
    const locks = new LockManager(tempDir("locks-"));
    await assert.rejects(locks.acquire("../x"), TypeError);
  });
});
