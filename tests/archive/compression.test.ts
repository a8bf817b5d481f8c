// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  compressChunks,
  CompressionError,
  createCompressStream,
  createDecompressStream,
  decompressChunks,
  detectCompression,
  rechunk,
  zstdAvailable,
} from "../../src/archive/compression.ts";

const NO_ZSTD = zstdAvailable() ? false : "this runtime's node:zlib has no zstd";

/** Deterministic pseudo-random bytes with some redundancy (compressible, not trivially). */
function sample(size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 12345;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = (x >> 16) % 16 + 0x61;
  }
  return out;
}

async function collect(gen: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of gen) parts.push(c);
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function chunks(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

function sha(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

describe("detectCompression()", () => {
  it("detectCompression() recognises gzip, zstd, bzip2 and xz magic bytes", () => {
    assert.equal(detectCompression(new Uint8Array([0x1f, 0x8b, 0x08, 0])), "gzip");
    assert.equal(detectCompression(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0])), "zstd");
    assert.equal(detectCompression(new TextEncoder().encode("BZh91AY")), "bzip2");
    assert.equal(detectCompression(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0])), "xz");
  });

  it("detectCompression() calls a tar header or a short head uncompressed", () => {
    const tarHead = new TextEncoder().encode("etc/passwd\0\0\0");
    assert.equal(detectCompression(tarHead), "none");
    assert.equal(detectCompression(new Uint8Array([0x1f])), "none");
    assert.equal(detectCompression(new Uint8Array(0)), "none");
  });
});

describe("compressChunks() and decompressChunks()", () => {
  it("compressChunks() gzip writes header mtime 0 and OS byte 255", async () => {
    const gz = await collect(compressChunks([new TextEncoder().encode("hello")], "gzip"));
    assert.deepEqual([...gz.subarray(0, 4)], [0x1f, 0x8b, 8, 0]);
    assert.deepEqual([...gz.subarray(4, 8)], [0, 0, 0, 0], "mtime is zero");
    assert.equal(gz[9], 255, "OS is 'unknown', as Go writes it");
  });

  it("compressChunks() gzip output round-trips through decompressChunks() for 3 MB", async () => {
    const data = sample(3 * 1024 * 1024 + 17);
    const gz = await collect(compressChunks(chunks(data, 100_000), "gzip", { level: 1 }));
    assert.ok(gz.length < data.length);
    const back = await collect(decompressChunks(chunks(gz, 7_000), "gzip"));
    assert.equal(sha(back), sha(data));
  });

  it("compressChunks() gzip output is read by GNU gzip", async (t) => {
    const probe = spawnSync("gzip", ["--version"]);
    if (probe.error) return t.skip("gzip is not installed");
    const data = sample(200_000);
    const gz = await collect(compressChunks([data], "gzip", { level: 9 }));
    const r = spawnSync("gzip", ["-dc"], { input: gz, maxBuffer: 1 << 24 });
    assert.equal(r.status, 0, String(r.stderr));
    assert.equal(sha(new Uint8Array(r.stdout)), sha(data));
  });

  it(
    "compressChunks() zstd round-trips and is read by the zstd CLI",
    { skip: NO_ZSTD },
    async (t) => {
      const data = sample(1_500_000);
      const zst = await collect(compressChunks(chunks(data, 65_536), "zstd", { level: 5 }));
      assert.equal(detectCompression(zst), "zstd");
      const back = await collect(decompressChunks(chunks(zst, 4096), "zstd"));
      assert.equal(sha(back), sha(data));
      const r = spawnSync("zstd", ["-dc"], { input: zst, maxBuffer: 1 << 24 });
      if (r.error) return t.skip("zstd CLI is not installed");
      assert.equal(r.status, 0, String(r.stderr));
      assert.equal(sha(new Uint8Array(r.stdout)), sha(data));
    },
  );

  it("compressChunks() passes chunks through for none", async () => {
    const out = await collect(
      compressChunks([new Uint8Array([1, 2]), new Uint8Array([3])], "none"),
    );
    assert.deepEqual([...out], [1, 2, 3]);
  });

  it("compressChunks() rejects a level out of range", () => {
    assert.throws(() => compressChunks([], "gzip", { level: 10 }), CompressionError);
    assert.throws(() => compressChunks([], "zstd", { level: 23 }), CompressionError);
    assert.throws(() => compressChunks([], "gzip", { level: 1.5 }), CompressionError);
  });

  it("decompressChunks() fails on corrupt gzip input", async () => {
    const gz = await collect(compressChunks([sample(10_000)], "gzip"));
    gz[gz.length - 5]! ^= 0xff; // break the CRC/length trailer
    await assert.rejects(collect(decompressChunks([gz], "gzip")));
  });

  it("compressChunks() output does not depend on how the input is chunked", async () => {
    const data = sample(500_000);
    const a = await collect(compressChunks(chunks(data, 30_000), "gzip"));
    const b = await collect(compressChunks(chunks(data, 70_000), "gzip"));
    const c = await collect(compressChunks([data], "gzip"));
    assert.equal(sha(a), sha(b));
    assert.equal(sha(a), sha(c));
  });

  it("createCompressStream() output does not depend on how the input is chunked", async () => {
    const data = sample(600_000);
    const run = async (size: number) => {
      const gz = new Uint8Array(
        await new Response(
          ReadableStream.from(chunks(data, size)).pipeThrough(createCompressStream("gzip")),
        ).arrayBuffer(),
      );
      return sha(gz);
    };
    assert.equal(await run(10_000), await run(300_000));
  });

  it("rechunk() splits a sequence into blocks of the given size", async () => {
    const data = sample(1000);
    const out: number[] = [];
    const parts: Uint8Array[] = [];
    for await (const c of rechunk(chunks(data, 77), 256)) {
      out.push(c.length);
      parts.push(c.slice());
    }
    assert.deepEqual(out, [256, 256, 256, 232]);
    assert.equal(sha(await collect(parts)), sha(data));
  });
});

describe("createCompressStream() and createDecompressStream()", () => {
  it("createCompressStream() gzip pipes through createDecompressStream() intact", async () => {
    const data = sample(700_000);
    const out = new Uint8Array(
      await new Response(
        new Blob([data as Uint8Array<ArrayBuffer>]).stream()
          .pipeThrough(createCompressStream("gzip", { level: 6 }))
          .pipeThrough(createDecompressStream("gzip")),
      ).arrayBuffer(),
    );
    assert.equal(sha(out), sha(data));
  });

  it("createCompressStream() zstd pipes through createDecompressStream() intact", {
    skip: NO_ZSTD,
  }, async () => {
    const data = sample(700_000);
    const zst = new Uint8Array(
      await new Response(
        new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
          createCompressStream("zstd"),
        ),
      )
        .arrayBuffer(),
    );
    assert.equal(detectCompression(zst), "zstd");
    const out = new Uint8Array(
      await new Response(new Blob([zst]).stream().pipeThrough(createDecompressStream("zstd")))
        .arrayBuffer(),
    );
    assert.equal(sha(out), sha(data));
  });

  it("createDecompressStream() errors the stream on input that is not gzip", async () => {
    const bad = new Blob([new Uint8Array([0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9])]);
    await assert.rejects(
      new Response(bad.stream().pipeThrough(createDecompressStream("gzip"))).arrayBuffer(),
    );
  });
});

describe("zstdAvailable()", () => {
  it("zstdAvailable() matches whether node:zlib can make a zstd compressor", () => {
    if (zstdAvailable()) {
      assert.doesNotThrow(() => createCompressStream("zstd"));
    } else {
      assert.throws(() => createCompressStream("zstd"), CompressionError);
    }
  });
});
