// A 300 MB body streams through the writer and the reader with bounded memory.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import process from "node:process";
import { createTarStream, readTar } from "../../src/archive/mod.ts";

const SIZE = 300 * 1024 * 1024 + 123; // not a multiple of the block size
const CHUNK = 64 * 1024;

describe("tar streaming", () => {
  it("readTar(createTarStream()) streams a 300 MB body with bounded memory", async () => {
    const written = createHash("sha256");
    async function* body() {
      let left = SIZE;
      let i = 0;
      while (left > 0) {
        const chunk = new Uint8Array(Math.min(CHUNK, left)).fill(i++ * 7 & 0xff);
        chunk[0] = i & 0xff;
        written.update(chunk);
        left -= chunk.length;
        yield chunk;
      }
    }
    const tar = createTarStream([
      { header: { name: "big.bin", type: "file", size: SIZE, mtime: 1 }, body: body() },
      {
        header: { name: "after.txt", type: "file", size: 5 },
        body: new TextEncoder().encode("after"),
      },
    ]);
    // Start from a collected heap: other test files ran in this process before.
    (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);
    (globalThis as { gc?: () => void }).gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const read = createHash("sha256");
    let got = 0;
    const names: string[] = [];
    for await (const entry of readTar(tar)) {
      names.push(entry.header.name);
      if (entry.header.name !== "big.bin") {
        assert.equal(new TextDecoder().decode(await entry.bytes()), "after");
        continue;
      }
      assert.equal(entry.header.size, SIZE);
      let n = 0;
      for await (const chunk of entry.body) {
        read.update(chunk);
        got += chunk.length;
        if (++n % 256 === 0) peak = Math.max(peak, process.memoryUsage().rss);
      }
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    assert.deepEqual(names, ["big.bin", "after.txt"]);
    assert.equal(got, SIZE);
    assert.equal(read.digest("hex"), written.digest("hex"));
    const growthMb = (peak - base) / 1024 / 1024;
    // Buffering the body would grow by ≥ 300 MB; the allowance covers the runtime's own
    // pools and a garbage collector that has not run yet.
    assert.ok(growthMb < 150, `rss grew by ${growthMb.toFixed(1)} MB`);
  });
});
