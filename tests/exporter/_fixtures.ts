// Copyright 2026 the buildkit-ts authors. MIT license.

// Shared test fixtures: small gzip layers made with the archive module, a
// base config, and helpers to run skopeo/umoci (which must be installed).

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { createTarStream, type TarHeader } from "../../src/archive/mod.ts";
import type { ImageConfig } from "../../src/oci/mod.ts";
import type { ContentStore } from "../../src/store/mod.ts";
import type { ImageLayer } from "../../src/exporter/mod.ts";

/** One file of a fixture layer. */
export interface FixtureFile {
  header: TarHeader;
  text?: string;
}

/** Builds a gzip layer from entries and stores it. */
export async function makeLayer(
  store: ContentStore,
  files: readonly FixtureFile[],
  createdBy: string,
): Promise<ImageLayer> {
  const enc = new TextEncoder();
  const tar = new Uint8Array(
    await new Response(createTarStream(files.map((f) => {
      const body = f.text !== undefined ? enc.encode(f.text) : undefined;
      return body !== undefined
        ? { header: { ...f.header, size: body.length }, body }
        : { header: f.header };
    }))).arrayBuffer(),
  );
  const gz = gzipSync(tar, { level: 6 });
  const info = await store.ingest(new Blob([gz]).stream());
  return {
    mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
    digest: info.digest,
    size: info.size,
    diffId: `sha256:${createHash("sha256").update(tar).digest("hex")}`,
    uncompressedSize: tar.length,
    createdBy,
    created: "2030-01-01T00:00:00Z",
  };
}

/** Two layers: a base tree, then a change on top (file, symlink, hardlink, executable). */
export async function twoLayers(store: ContentStore): Promise<ImageLayer[]> {
  const t = 1_700_000_000;
  const a = await makeLayer(store, [
    { header: { name: "etc/", type: "directory", mode: 0o755, mtime: t } },
    { header: { name: "etc/hello.txt", type: "file", mode: 0o644, mtime: t }, text: "hello\n" },
    { header: { name: "bin/", type: "directory", mode: 0o755, mtime: t } },
    {
      header: { name: "bin/run.sh", type: "file", mode: 0o755, mtime: t },
      text: "#!/bin/sh\necho hi\n",
    },
  ], "COPY base /");
  const b = await makeLayer(store, [
    { header: { name: "app/", type: "directory", mode: 0o750, mtime: t } },
    { header: { name: "app/data.txt", type: "file", mode: 0o600, mtime: t }, text: "data\n" },
    { header: { name: "app/link", type: "symlink", linkname: "data.txt", mtime: t } },
    { header: { name: "app/hard", type: "link", linkname: "app/data.txt", mtime: t } },
  ], "RUN make app");
  return [a, b];
}

/** A frontend-like config for two layers (history for the first only: the exporter back-fills). */
export function fixtureConfig(): ImageConfig {
  return {
    architecture: "amd64",
    os: "linux",
    config: { Env: ["PATH=/usr/bin:/bin"], Cmd: ["/bin/run.sh"], WorkingDir: "/" },
    rootfs: { type: "layers", diff_ids: [] },
    history: [
      {
        created: "2014-01-01T00:00:00Z",
        created_by: "COPY base /",
        comment: "buildkit.dockerfile.v0",
      },
      {
        created: "2030-01-01T00:00:00Z",
        created_by: 'CMD ["/bin/run.sh"]',
        comment: "buildkit.dockerfile.v0",
        empty_layer: true,
      },
    ],
  };
}

/** Fails with an install hint when a tool is missing (never passes silently). */
export function requireTool(name: string): string {
  const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  const found = r.stdout.trim();
  if (r.status !== 0 || found === "") {
    throw new Error(
      `${name} is not installed: install the Debian packages skopeo and umoci ` +
        `(apt-get install -y skopeo umoci); the test bootstrap does this`,
    );
  }
  return found;
}

/** Runs a command; throws with its stderr when it fails. */
export function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.error}`);
  }
  return r.stdout;
}

/** sha256 hex for validateImage. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
