// Copyright 2026 the buildkit-ts authors. MIT license.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import {
  pullImage,
  pushImage,
  RegistryClient,
  RegistryDigestError,
  RegistryError,
} from "../../src/registry/mod.ts";
import { registryUnavailable, startRegistry, type TestRegistry } from "./_registry.ts";
import { makeImage, makeIndex, readAll, sha, tempDir, tempStore } from "./_image.ts";

const unavailable = registryUnavailable();
const skopeo = spawnSync("skopeo", ["--version"]).error === undefined;

describe("RegistryClient against docker-registry (no auth)", {
  skip: unavailable,
}, () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
  });

  it("ping() falls back to plain HTTP for a 127.0.0.1 registry", async () => {
    const client = new RegistryClient(reg.host);
    const { baseUrl, challenge } = await client.ping();
    assert.equal(baseUrl, `http://${reg.host}`);
    assert.equal(challenge, undefined);
  });

  it("RegistryClient refuses plain HTTP for a registry not named insecure", () => {
    assert.throws(() => new RegistryClient("registry.example", { plainHttp: true }), RegistryError);
    assert.doesNotThrow(() =>
      new RegistryClient("registry.example", {
        plainHttp: true,
        insecureRegistries: ["registry.example"],
      })
    );
  });

  it("pushImage() then pullImage() round-trips every blob with the same digests", async () => {
    const src = tempStore();
    const img = await makeImage(src, { layerSizes: [10_000, 20_000, 5] });
    const pushed = await pushImage(`${reg.host}/roundtrip/app:1`, src, { root: img.manifest });
    assert.deepEqual(pushed.blobs, { exists: 0, mounted: 0, uploaded: 4 });

    const dst = tempStore();
    const pulled = await pullImage(`${reg.host}/roundtrip/app:1`, dst);
    assert.equal(pulled.root.digest, img.manifest.digest);
    assert.equal(pulled.manifests[0]!.manifest.config.digest, img.config.digest);
    for (const d of [img.manifest, img.config, ...img.layers]) {
      assert.equal(sha(await dst.readBytes(d.digest)), d.digest);
    }
    assert.equal(pulled.pulledBlobs, 4);

    const again = await pushImage(`${reg.host}/roundtrip/app:1`, src, { root: img.manifest });
    assert.deepEqual(again.blobs, { exists: 4, mounted: 0, uploaded: 0 });
    const pulledAgain = await pullImage(`${reg.host}/roundtrip/app:1`, dst);
    assert.equal(pulledAgain.pulledBlobs, 0);
  });

  it("pushBlob() uploads in PATCH chunks when a chunk size is set", async () => {
    const src = tempStore();
    const img = await makeImage(src, { layerSizes: [100_000] });
    const client = new RegistryClient(reg.host, { chunkSize: 16 * 1024 });
    await pushImage(`${reg.host}/chunked:v1`, src, { root: img.manifest, client });
    const layer = img.layers[0]!;
    const got = await readAll(await client.getBlob("chunked", layer));
    assert.equal(sha(got), layer.digest);
    assert.equal(await client.headBlob("chunked", layer.digest), 100_000);
  });

  it("pushImage() mounts blobs from another repository of the same registry", async () => {
    const src = tempStore();
    const img = await makeImage(src);
    await pushImage(`${reg.host}/mount/base:1`, src, { root: img.manifest });
    const r = await pushImage(`${reg.host}/mount/derived:1`, src, {
      root: img.manifest,
      mountFrom: ["mount/base"],
    });
    assert.deepEqual(r.blobs, { exists: 0, mounted: 3, uploaded: 0 });
    const pulled = await pullImage(`${reg.host}/mount/derived:1`, tempStore());
    assert.equal(pulled.root.digest, img.manifest.digest);
  });

  it("pushImage() pushes an index and pullImage() picks the platform asked for", async () => {
    const src = tempStore();
    const { index, images } = await makeIndex(src, ["amd64", "arm64"]);
    await pushImage(`${reg.host}/multi:latest`, src, { root: index });
    const dst = tempStore();
    const pulled = await pullImage(`${reg.host}/multi`, dst, {
      platform: { os: "linux", architecture: "arm64" },
    });
    assert.equal(pulled.root.digest, index.digest);
    assert.equal(pulled.manifests.length, 1);
    assert.equal(pulled.manifests[0]!.descriptor.digest, images[1]!.manifest.digest);
    assert.equal(await dst.has(images[0]!.layers[0]!.digest), false);
    assert.equal(await dst.has(images[1]!.layers[0]!.digest), true);

    const all = await pullImage(`${reg.host}/multi:latest`, tempStore(), { allPlatforms: true });
    assert.equal(all.manifests.length, 2);
    await assert.rejects(
      pullImage(`${reg.host}/multi:latest`, tempStore(), {
        platform: { os: "linux", architecture: "s390x" },
      }),
      /No manifest for linux\/s390x/,
    );
  });

  it("getManifest() and headManifest() resolve a tag to the same descriptor", async () => {
    const src = tempStore();
    const img = await makeImage(src);
    await pushImage(`${reg.host}/heads:t`, src, { root: img.manifest });
    const client = new RegistryClient(reg.host);
    const head = await client.headManifest("heads", "t");
    const got = await client.getManifest("heads", "t");
    assert.equal(head?.digest, img.manifest.digest);
    assert.equal(got.descriptor.digest, img.manifest.digest);
    assert.equal(got.descriptor.mediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.equal(await client.headManifest("heads", "missing"), undefined);
    const e = await client.getManifest("heads", "missing").catch((e) => e);
    assert.ok(e instanceof RegistryError && e.status === 404 && e.hasCode("MANIFEST_UNKNOWN"));
  });

  it("getBlob() fails with RegistryDigestError when the descriptor's digest is wrong", async () => {
    const src = tempStore();
    const img = await makeImage(src, { layerSizes: [500] });
    await pushImage(`${reg.host}/verify:1`, src, { root: img.manifest });
    const client = new RegistryClient(reg.host);
    // Ask for a real blob but claim a size it does not have: the stream must fail.
    const layer = img.layers[0]!;
    await assert.rejects(
      readAll(await client.getBlob("verify", { digest: layer.digest, size: 400 })),
      RegistryDigestError,
    );
  });

  it("listTags() lists every tag across pages", async () => {
    const src = tempStore();
    const img = await makeImage(src, { layerSizes: [10] });
    for (const t of ["a", "b", "c", "d", "e"]) {
      await pushImage(`${reg.host}/tags:${t}`, src, { root: img.manifest });
    }
    const client = new RegistryClient(reg.host);
    assert.deepEqual((await client.listTags("tags", { pageSize: 2 })).sort(), [
      "a",
      "b",
      "c",
      "d",
      "e",
    ]);
  });

  it("skopeo inspect and skopeo copy read what pushImage() wrote", {
    skip: skopeo ? false : "skopeo not installed (apt-get install -y skopeo)",
  }, async () => {
    const src = tempStore();
    // Compressed layers: skopeo would gzip uncompressed ones on their way into a layout.
    const img = await makeImage(src, { layerSizes: [4096, 8192], gzip: true });
    await pushImage(`${reg.host}/skopeo/app:2`, src, { root: img.manifest });
    const inspect = spawnSync("skopeo", [
      "inspect",
      "--tls-verify=false",
      `docker://${reg.host}/skopeo/app:2`,
    ], { encoding: "utf8" });
    assert.equal(inspect.status, 0, inspect.stderr);
    const info = JSON.parse(inspect.stdout) as { Digest: string; Layers: string[] };
    assert.equal(info.Digest, img.manifest.digest);
    assert.deepEqual(info.Layers, img.layers.map((l) => l.digest));

    const out = path.join(tempDir(), "layout");
    const copy = spawnSync("skopeo", [
      "copy",
      "--src-tls-verify=false",
      `docker://${reg.host}/skopeo/app:2`,
      `oci:${out}:app`,
    ], { encoding: "utf8" });
    assert.equal(copy.status, 0, copy.stderr);
    // skopeo re-serializes the manifest for the layout; config and layers are copied as they are.
    const blobs = fs.readdirSync(path.join(out, "blobs", "sha256"));
    for (const d of [img.config, ...img.layers]) {
      assert.ok(blobs.includes(d.digest.slice(7)), `${d.digest} missing from ${blobs.join(", ")}`);
      const file = path.join(out, "blobs", "sha256", d.digest.slice(7));
      assert.equal(sha(fs.readFileSync(file)), d.digest);
    }

    // And the other way: skopeo pushes, we pull.
    const back = spawnSync("skopeo", [
      "copy",
      "--dest-tls-verify=false",
      `oci:${out}:app`,
      `docker://${reg.host}/skopeo/copied:1`,
    ], { encoding: "utf8" });
    assert.equal(back.status, 0, back.stderr);
    const pulled = await pullImage(`${reg.host}/skopeo/copied:1`, tempStore());
    assert.deepEqual(
      pulled.manifests[0]!.manifest.layers.map((l) => l.digest),
      img.layers.map((l) => l.digest),
    );
  });

  it("pushImage() and pullImage() move a 50 MB layer intact (throughput printed)", async () => {
    const src = tempStore();
    const size = 50 * 1024 * 1024;
    const img = await makeImage(src, { layerSizes: [size] });
    let t = performance.now();
    await pushImage(`${reg.host}/big:1`, src, { root: img.manifest });
    const pushMs = performance.now() - t;
    const dst = tempStore();
    t = performance.now();
    await pullImage(`${reg.host}/big:1`, dst);
    const pullMs = performance.now() - t;
    assert.equal(await dst.size(img.layers[0]!.digest), size);
    const chunked = new RegistryClient(reg.host, { chunkSize: 8 * 1024 * 1024 });
    t = performance.now();
    await pushImage(`${reg.host}/big-chunked:1`, src, { root: img.manifest, client: chunked });
    const chunkedMs = performance.now() - t;
    const mbps = (ms: number) => (50 / (ms / 1000)).toFixed(0);
    console.log(
      `registry throughput (50 MB, loopback): push ${mbps(pushMs)} MB/s (${
        pushMs.toFixed(0)
      } ms), ` +
        `pull ${mbps(pullMs)} MB/s (${pullMs.toFixed(0)} ms), ` +
        `chunked push (8 MiB) ${mbps(chunkedMs)} MB/s (${chunkedMs.toFixed(0)} ms)`,
    );
  });
});
