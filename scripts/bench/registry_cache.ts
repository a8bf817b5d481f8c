// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Cold build against a rebuild on an empty store that takes its cache from a registry
 * (`--cache-to type=registry` then `--cache-from`), on a local docker-registry.
 *
 * Usage: deno run -A scripts/bench/registry_cache.ts [--binary dist/buildkit] [--runs 3]
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { main as makeBase } from "../make_base_image.ts";
import { startRegistry } from "../../tests/registry/_registry.ts";

const { values } = parseArgs({ options: { binary: { type: "string" }, runs: { type: "string" } } });
const ROOT = resolve(import.meta.dirname ?? ".", "../..");
const runs = Number(values.runs ?? "3");
const bin = values.binary
  ? [resolve(values.binary)]
  : [join(ROOT, "node_modules/.bin/deno"), "run", "-A", join(ROOT, "cli.ts")];

const dir = mkdtempSync(join(tmpdir(), "bk-regcache-"));
await makeBase([join(dir, "busybox")]);
const ctx = join(dir, "ctx");
mkdirSync(ctx);
const big = new Uint8Array(20 * 1024 * 1024);
for (let i = 0; i < big.length; i += 4096) big[i] = (i * 2654435761) >>> 24;
writeFileSync(join(ctx, "data.bin"), big);
writeFileSync(
  join(ctx, "Dockerfile"),
  [
    "FROM busybox AS build",
    ...Array.from({ length: 8 }, (_, i) => `RUN echo step ${i} >> /log && sleep 0.2`),
    "COPY data.bin /data.bin",
    "RUN sha256sum /data.bin > /sum",
    "FROM busybox",
    "COPY --from=build /sum /log /",
    "",
  ].join("\n"),
);
const reg = await startRegistry();
const ref = `${reg.host}/bench/cache:main`;

function time(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(bin[0]!, [...bin.slice(1), ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr.slice(-800)}`);
  return (performance.now() - t) / 1000;
}

const base = [
  "build",
  "--progress=quiet",
  "--build-context",
  `busybox=oci-layout://${join(dir, "busybox")}:busybox`,
];
const cold: number[] = [];
const fromCache: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    cold.push(
      time([
        ...base,
        "--cache-dir",
        join(dir, `cold-${i}`),
        "--cache-to",
        `type=registry,ref=${ref},mode=max`,
        "-o",
        `type=oci,dest=${join(dir, `cold-${i}.tar`)}`,
        ctx,
      ]),
    );
    fromCache.push(
      time([
        ...base,
        "--cache-dir",
        join(dir, `warm-${i}`),
        "--cache-from",
        `type=registry,ref=${ref}`,
        "-o",
        `type=oci,dest=${join(dir, `warm-${i}.tar`)}`,
        ctx,
      ]),
    );
  }
} finally {
  await reg.stop();
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const load = spawnSync("cat", ["/proc/loadavg"], { encoding: "utf8" }).stdout.trim();
console.log(
  `cold build + --cache-to registry: median ${median(cold).toFixed(2)} s  (${
    cold.map((x) => x.toFixed(2)).join(", ")
  })`,
);
console.log(
  `empty store + --cache-from registry: median ${median(fromCache).toFixed(2)} s  (${
    fromCache.map((x) => x.toFixed(2)).join(", ")
  })`,
);
console.log(
  `ratio cached-from-registry / cold: ${
    (median(fromCache) / median(cold)).toFixed(2)
  }x  (load ${load})`,
);
process.exit(0);
