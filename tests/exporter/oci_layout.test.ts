// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileContentStore, MemoryContentStore } from "../../src/store/mod.ts";
import type { ContentStore } from "../../src/store/mod.ts";
import {
  buildImage,
  type BuiltImage,
  exportDockerArchive,
  exportOciLayout,
  withCreatedAnnotation,
} from "../../src/exporter/mod.ts";
import { readTar } from "../../src/archive/mod.ts";
import { parseIndex, validateImage } from "../../src/oci/mod.ts";
import { fixtureConfig, requireTool, run, sha256Hex, twoLayers } from "./_fixtures.ts";

const EPOCH = 1445412480;

async function image(store: ContentStore): Promise<BuiltImage> {
  const layers = await twoLayers(store);
  return await buildImage({
    store,
    layers,
    config: fixtureConfig(),
    sourceDateEpoch: EPOCH,
    rewriteTimestamp: true,
  });
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "bk-exporter-"));
}

/** validateImage over what a layout directory holds for its single manifest. */
function validateLayout(dir: string, manifestDigest: string): string[] {
  const blob = (d: string) => readFileSync(join(dir, "blobs/sha256", d.slice("sha256:".length)));
  const manifest = blob(manifestDigest);
  const parsed = JSON.parse(new TextDecoder().decode(manifest));
  return validateImage({
    manifest,
    config: blob(parsed.config.digest),
    layers: parsed.layers.map((l: { digest: string }) => ({ blob: blob(l.digest) })),
  }, { sha256Hex });
}

async function tarNames(file: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of readTar(new Blob([readFileSync(file)]).stream())) {
    names.push(entry.header.name);
    await entry.body?.cancel();
  }
  return names;
}

describe("exportOciLayout()", () => {
  it("exportOciLayout() writes a directory layout that skopeo and umoci read", async () => {
    requireTool("skopeo");
    requireTool("umoci");
    const work = tmp();
    try {
      const store = new FileContentStore(join(work, "store"));
      const img = await image(store);
      const descriptor = withCreatedAnnotation(img.manifestDescriptor, { sourceDateEpoch: EPOCH });
      const dest = join(work, "layout");
      await exportOciLayout({ store, descriptor, dest, tar: false, names: ["example.com/app:v1"] });
      const index = JSON.parse(readFileSync(join(dest, "index.json"), "utf8"));
      assert.equal(
        index.manifests[0].annotations["io.containerd.image.name"],
        "example.com/app:v1",
      );
      assert.equal(index.manifests[0].annotations["org.opencontainers.image.ref.name"], "v1");
      assert.equal(
        readFileSync(join(dest, "oci-layout"), "utf8"),
        '{"imageLayoutVersion":"1.0.0"}',
      );
      assert.deepEqual(validateLayout(dest, img.manifestDescriptor.digest), []);

      const inspect = JSON.parse(run("skopeo", ["inspect", `oci:${dest}:v1`]));
      assert.equal(inspect.Digest, img.manifestDescriptor.digest);
      assert.deepEqual(inspect.Layers, img.manifest.layers.map((l) => l.digest));

      const bundle = join(work, "bundle");
      const rootless = process.getuid?.() === 0 ? [] : ["--rootless"];
      run("umoci", ["unpack", ...rootless, "--image", `${dest}:v1`, bundle]);
      const rootfs = join(bundle, "rootfs");
      assert.equal(readFileSync(join(rootfs, "etc/hello.txt"), "utf8"), "hello\n");
      assert.equal(readFileSync(join(rootfs, "app/data.txt"), "utf8"), "data\n");
      assert.equal(lstatSync(join(rootfs, "bin/run.sh")).mode & 0o777, 0o755);
      assert.equal(lstatSync(join(rootfs, "app/data.txt")).mode & 0o777, 0o600);
      assert.equal(readlinkSync(join(rootfs, "app/link")), "data.txt");
      assert.equal(
        lstatSync(join(rootfs, "app/hard")).ino,
        lstatSync(join(rootfs, "app/data.txt")).ino,
      );
      assert.deepEqual(readdirSync(rootfs).sort(), ["app", "bin", "etc"]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("exportOciLayout() merges into an existing directory layout, replacing same-named entries", async () => {
    const work = tmp();
    try {
      const store = new MemoryContentStore();
      const img = await image(store);
      const dest = join(work, "layout");
      await exportOciLayout({
        store,
        descriptor: img.manifestDescriptor,
        dest,
        tar: false,
        names: ["a:1"],
      });
      await exportOciLayout({
        store,
        descriptor: img.manifestDescriptor,
        dest,
        tar: false,
        names: ["b:1"],
      });
      await exportOciLayout({
        store,
        descriptor: img.manifestDescriptor,
        dest,
        tar: false,
        names: ["a:1"],
      });
      await exportOciLayout({ store, descriptor: img.manifestDescriptor, dest, tar: false });
      const index = parseIndex(readFileSync(join(dest, "index.json")));
      assert.deepEqual(
        index.manifests.map((m) => m.annotations?.["org.opencontainers.image.ref.name"]),
        ["1", "1", "latest"],
      );
      assert.deepEqual(
        index.manifests.map((m) => m.annotations?.["io.containerd.image.name"]),
        ["docker.io/library/b:1", "docker.io/library/a:1", undefined],
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("exportOciLayout() writes a sorted tarball that skopeo reads as oci-archive", async () => {
    requireTool("skopeo");
    const work = tmp();
    try {
      const store = new MemoryContentStore();
      const img = await image(store);
      const file = join(work, "out.tar");
      const descriptor = withCreatedAnnotation(img.manifestDescriptor, { sourceDateEpoch: EPOCH });
      await exportOciLayout({ store, descriptor, dest: file, names: ["app:1"] });
      const names = await tarNames(file);
      assert.deepEqual(names, [...names].sort());
      assert.deepEqual(names.slice(0, 2), ["blobs/", "blobs/sha256/"]);
      assert.deepEqual(names.slice(-2), ["index.json", "oci-layout"]);
      assert.equal(
        names.length,
        2 + 4 + 2,
        "dirs, 2 layers + config + manifest, index, oci-layout",
      );
      const inspect = JSON.parse(run("skopeo", ["inspect", `oci-archive:${file}`]));
      assert.equal(inspect.Digest, img.manifestDescriptor.digest);
      assert.deepEqual(inspect.Layers, img.manifest.layers.map((l) => l.digest));
      run("tar", ["-xf", file, "-C", work]);
      assert.ok(existsSync(join(work, "index.json")));
      assert.deepEqual(validateLayout(work, img.manifestDescriptor.digest), []);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("exportOciLayout() gives the same bytes for the same inputs and SOURCE_DATE_EPOCH", async () => {
    const work = tmp();
    try {
      const digests: string[] = [];
      const files: Uint8Array[] = [];
      for (let i = 0; i < 2; i++) {
        const store = new MemoryContentStore();
        const img = await image(store);
        const descriptor = withCreatedAnnotation(img.manifestDescriptor, {
          sourceDateEpoch: EPOCH,
        });
        const file = join(work, `out${i}.tar`);
        await exportOciLayout({ store, descriptor, dest: file, names: ["app:1"] });
        digests.push(img.manifestDescriptor.digest);
        files.push(readFileSync(file));
      }
      assert.equal(digests[0], digests[1]);
      assert.equal(sha256Hex(files[0]!), sha256Hex(files[1]!));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("exportOciLayout() leaves an existing tarball untouched when the export fails midway", async () => {
    const work = tmp();
    try {
      const store = new FileContentStore(join(work, "store"));
      const img = await image(store);
      const file = join(work, "out.tar");
      writeFileSync(file, "previous export");
      // Corrupt a layer blob in place: the copy fails when its digest is checked.
      const layer = img.manifest.layers[1]!;
      const blobPath = store.path(layer.digest);
      const bytes = readFileSync(blobPath);
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
      rmSync(blobPath, { force: true });
      writeFileSync(blobPath, bytes);
      await assert.rejects(
        exportOciLayout({ store, descriptor: img.manifestDescriptor, dest: file }),
        /digest|Digest/,
      );
      assert.equal(readFileSync(file, "utf8"), "previous export");
      assert.deepEqual(readdirSync(work).sort(), ["out.tar", "store"], "no temporary file left");
      // A directory export that fails keeps the previous index.json.
      const dir = join(work, "layout");
      const good = new MemoryContentStore();
      const img2 = await image(good);
      await exportOciLayout({
        store: good,
        descriptor: img2.manifestDescriptor,
        dest: dir,
        tar: false,
      });
      const before = readFileSync(join(dir, "index.json"), "utf8");
      rmSync(join(dir, "blobs/sha256", layer.digest.slice(7)), { force: true });
      await assert.rejects(
        exportOciLayout({
          store,
          descriptor: img.manifestDescriptor,
          dest: dir,
          tar: false,
          names: ["x"],
        }),
      );
      assert.equal(readFileSync(join(dir, "index.json"), "utf8"), before);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("exportDockerArchive()", () => {
  it("exportDockerArchive() writes a docker-load tarball that skopeo reads", async () => {
    requireTool("skopeo");
    const work = tmp();
    try {
      const store = new MemoryContentStore();
      const img = await image(store);
      const file = join(work, "docker.tar");
      await exportDockerArchive({
        store,
        descriptor: img.manifestDescriptor,
        dest: file,
        names: ["app:1"],
      });
      const names = await tarNames(file);
      assert.ok(names.includes("manifest.json") && names.includes("index.json"));
      run("tar", ["-xf", file, "-C", work, "manifest.json"]);
      const manifestJson = JSON.parse(readFileSync(join(work, "manifest.json"), "utf8"));
      assert.deepEqual(manifestJson, [{
        Config: `blobs/sha256/${img.configDescriptor.digest.slice(7)}`,
        RepoTags: ["app:1"],
        Layers: img.manifest.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
      }]);
      const inspect = JSON.parse(run("skopeo", ["inspect", `docker-archive:${file}`]));
      assert.deepEqual(inspect.RepoTags ?? [], [], "skopeo reports tags only for registry images");
      assert.equal(inspect.Architecture, "amd64");
      // docker-archive layers are named by their uncompressed digests (diff IDs).
      assert.deepEqual(inspect.Layers, img.config.rootfs.diff_ids);
      const config = JSON.parse(
        run("skopeo", ["inspect", "--config", `docker-archive:${file}:app:1`]),
      );
      assert.deepEqual(config.rootfs.diff_ids, img.config.rootfs.diff_ids);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
