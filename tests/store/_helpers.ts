// Copyright 2026 the buildkit-ts authors. MIT license.

// Shared helpers of the store tests.

import { after } from "node:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { openStore, type Store } from "../../src/store/mod.ts";

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** The repository root. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The Deno binary of the project. */
export const DENO = path.join(REPO, "node_modules", ".bin", "deno");

/** A fresh temporary directory, removed after the tests. */
export function tempDir(prefix = "store-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  roots.push(dir);
  return dir;
}

/** A store in a fresh temporary directory. */
export function tempStore(): Store {
  return openStore(path.join(tempDir(), "root"));
}

/** A web stream over `text` or bytes, cut into chunks of `chunk` bytes. */
export function streamOf(data: string | Uint8Array, chunk = 7): ReadableStream<Uint8Array> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let off = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (off >= bytes.byteLength) return c.close();
      c.enqueue(bytes.slice(off, off + chunk));
      off += chunk;
    },
  });
}

/** Reads a whole stream. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** The pid of a process that has exited. */
export function deadPid(): number {
  const res = spawnSync("true");
  assertPid(res.pid);
  return res.pid;
}

function assertPid(pid: number | undefined): asserts pid is number {
  if (typeof pid !== "number") throw new Error("spawnSync gave no pid");
}

/** A minimal valid image (one empty-tar layer) written into a store's content store. */
export async function writeImage(
  store: Store,
  label = "x",
): Promise<
  { manifest: { mediaType: string; digest: string; size: number }; layer: string; config: string }
> {
  const tar = new Uint8Array(1024 + label.length);
  tar.set(new TextEncoder().encode(label), 1024); // trailing bytes make each label's layer distinct
  const layer = await store.content.ingest(streamOf(tar, 512));
  const configJson = JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: { Labels: { label } },
    rootfs: { type: "layers", diff_ids: [layer.digest] },
  });
  const config = await store.content.ingest(streamOf(configJson, 64));
  const mediaType = "application/vnd.oci.image.manifest.v1+json";
  const manifestJson = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
  });
  const manifest = await store.content.ingest(streamOf(manifestJson, 64));
  return { manifest: { mediaType, ...manifest }, layer: layer.digest, config: config.digest };
}
