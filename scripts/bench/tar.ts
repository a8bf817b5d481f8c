// Throughput of the tar codec: write+read of a 300 MB stream, as one big file
// and as many small files. Run: `deno run -A scripts/bench/tar.ts` or
// `bun scripts/bench/tar.ts`. Prints wall-clock and CPU-time MB/s.
import process from "node:process";
import { createTarStream, readTar, type TarWriterEntry } from "../../src/archive/mod.ts";

const TOTAL = 300 * 1024 * 1024;
const CHUNK = 64 * 1024;
const shared = new Uint8Array(CHUNK).fill(0x5a);

function* chunks(size: number): Generator<Uint8Array> {
  let left = size;
  while (left > 0) {
    const n = Math.min(CHUNK, left);
    yield n === CHUNK ? shared : shared.subarray(0, n);
    left -= n;
  }
}

function* entries(files: number): Generator<TarWriterEntry> {
  const size = Math.floor(TOTAL / files);
  for (let i = 0; i < files; i++) {
    yield {
      header: { name: `dir${i % 100}/file-${i}.bin`, type: "file", size, mode: 0o644, mtime: 1 },
      body: chunks(size),
    };
  }
}

/** Writes and reads back; returns tar bytes and body bytes seen. */
async function writeRead(files: number): Promise<{ tarBytes: number; bodyBytes: number }> {
  let tarBytes = 0;
  const counted = createTarStream(entries(files)).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        tarBytes += chunk.length;
        c.enqueue(chunk);
      },
    }),
  );
  let bodyBytes = 0;
  for await (const e of readTar(counted)) {
    for await (const chunk of e.body) bodyBytes += chunk.length;
  }
  return { tarBytes, bodyBytes };
}

async function writeOnly(files: number): Promise<number> {
  let n = 0;
  for await (const chunk of createTarStream(entries(files))) n += chunk.length;
  return n;
}

async function measure(label: string, fn: () => Promise<number>): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const bytes = await fn();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const mb = bytes / 1e6;
  console.log(
    `${label.padEnd(34)} ${mb.toFixed(0)} MB  wall ${wall.toFixed(2)} s = ${
      (mb / wall).toFixed(0)
    } MB/s  cpu ${cpuSec.toFixed(2)} s = ${(mb / cpuSec).toFixed(0)} MB/s`,
  );
}

const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
console.log(`tar codec throughput (${runtime}), ${TOTAL / 1024 / 1024} MiB of file data`);
await measure("write only, 1 file", () => writeOnly(1));
await measure("write+read, 1 file", async () => (await writeRead(1)).tarBytes);
await measure("write only, 10000 files", () => writeOnly(10000));
await measure("write+read, 10000 files", async () => (await writeRead(10000)).tarBytes);
