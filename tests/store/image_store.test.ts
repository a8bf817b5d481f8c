// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { ANNOTATION_REF_NAME, BlobNotFoundError } from "../../src/store/mod.ts";
import { tempStore, writeImage } from "./_helpers.ts";

const REF = "docker.io/library/hello:latest";

function which(cmd: string): string | undefined {
  const res = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return res.status === 0 ? res.stdout.trim() : undefined;
}

describe("ImageStore", () => {
  it("openStore() makes the root an OCI image layout", () => {
    const store = tempStore();
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(store.root, "oci-layout"), "utf8")), {
      imageLayoutVersion: "1.0.0",
    });
    const index = JSON.parse(fs.readFileSync(path.join(store.root, "index.json"), "utf8"));
    assert.equal(index.schemaVersion, 2);
    assert.deepEqual(index.manifests, []);
  });

  it("tag() writes an annotated manifest descriptor and resolve() finds it", async () => {
    const store = tempStore();
    const { manifest } = await writeImage(store);
    await store.images.tag(REF, manifest);
    const index = JSON.parse(fs.readFileSync(path.join(store.root, "index.json"), "utf8"));
    assert.equal(index.manifests.length, 1);
    assert.equal(index.manifests[0].annotations[ANNOTATION_REF_NAME], REF);
    assert.equal(index.manifests[0].annotations["io.containerd.image.name"], REF);
    const found = await store.images.resolve(REF);
    assert.equal(found?.digest, manifest.digest);
    assert.equal(await store.images.resolve("docker.io/library/other:latest"), undefined);
    const list = await store.images.list();
    assert.equal(list.length, 1);
    assert.equal(list[0]!.ref, REF);
    assert.equal(list[0]!.size, manifest.size);
    assert.ok(list[0]!.created !== undefined);
  });

  it("tag() replaces the previous target of a ref and untag() removes it", async () => {
    const store = tempStore();
    const a = await writeImage(store, "a");
    const b = await writeImage(store, "b");
    await store.images.tag(REF, a.manifest);
    await store.images.tag("docker.io/library/keep:1", a.manifest);
    await store.images.tag(REF, b.manifest);
    assert.equal((await store.images.resolve(REF))?.digest, b.manifest.digest);
    assert.equal((await store.images.list()).length, 2);
    assert.equal(await store.images.untag(REF), true);
    assert.equal(await store.images.untag(REF), false);
    assert.equal(await store.images.resolve(REF), undefined);
    assert.equal((await store.images.list()).length, 1);
    assert.equal(await store.content.has(b.manifest.digest), true);
  });

  it("tag() refuses a manifest that is not in the content store", async () => {
    const store = tempStore();
    const digest = `sha256:${"0".repeat(64)}`;
    await assert.rejects(
      store.images.tag(REF, {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest,
        size: 2,
      }),
      BlobNotFoundError,
    );
  });

  it("skopeo inspect oci:<root>:<ref> reads a tagged image", async () => {
    const skopeo = which("skopeo");
    assert.ok(skopeo !== undefined, "skopeo is needed by this test (apt-get install skopeo)");
    const store = tempStore();
    const { manifest, layer } = await writeImage(store);
    await store.images.tag(REF, manifest);
    const res = spawnSync(skopeo, ["inspect", `oci:${store.root}:${REF}`], { encoding: "utf8" });
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.equal(out.Digest, manifest.digest);
    assert.deepEqual(out.Layers, [layer]);
    assert.equal(out.Labels.label, "x");
  });
});
