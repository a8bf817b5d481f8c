// Copyright 2026 the buildkit-ts authors. MIT license.

// Child process for the lock contention test: increments the number in a
// counter file N times, each time under the lock "counter" of a lock dir,
// with a pause between read and write that makes lost updates likely
// without the lock. Arguments: <lock dir> <counter file> <N>.

import * as fs from "node:fs";
import process from "node:process";
import { LockManager } from "../../src/store/mod.ts";

const [dir, counter, n] = process.argv.slice(-3) as [string, string, string];
const locks = new LockManager(dir);
for (let i = 0; i < Number(n); i++) {
  await locks.withLock("counter", async () => {
    const value = Number(fs.readFileSync(counter, "utf8"));
    await new Promise((r) => setTimeout(r, 1));
    fs.writeFileSync(counter, String(value + 1));
  }, { timeoutMs: 60_000 });
}
