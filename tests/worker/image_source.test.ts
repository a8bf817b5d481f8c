// Copyright 2026 the buildkit-ts authors. MIT license.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { readTar } from "../../src/archive/mod.ts";
import {
  type Descriptor,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
  serializeIndex,
} from "../../src/oci/mod.ts";
import {
  type BlobInfo,
  type ContentStore,
  type ExpectedBlob,
  FileContentStore,
  openStore,
} from "../../src/store/mod.ts";
import {
  BlobVerificationError,
  ImageNotFoundError,
  importImage,
  NoMatchingPlatformError,
  OciLayoutError,
  OciLayoutRefNotFoundError,
  openOciLayout,
} from "../../src/worker/image_source.ts";
import { createImageResolver, parseOciLayoutRef } from "../../src/worker/image_resolver.ts";
import {
  BUSYBOX_PATH_ENV,
  busyboxAvailable,
  makeBusyboxLayout,
  writeBlob,
  writeBusyboxImage,
  writeLayoutIndex,
} from "../_fixtures/busybox_image.ts";

const AMD64 = { os: "linux", architecture: "amd64" };
const ARM64 = { os: "linux", architecture: "arm64" };

const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bkts-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Fails with a clear message when the fixture cannot be built here. */
function requireBusybox(): void {
  if (!busyboxAvailable()) {
    assert.fail(
      "/bin/busybox is missing: install the Debian package busybox-static " +
        "(scripts/bootstrap.sh does it)",
    );
  }
}

/** A layout holding an index with one manifest per architecture, tagged `multi`. */
async function makeMultiPlatformLayout(
  dir: string,
  platforms: Array<{ arch: string; variant?: string }>,
): Promise<{ index: Descriptor; manifests: Record<string, string> }> {
  const manifests: Descriptor[] = [];
  const byArch: Record<string, string> = {};
  for (const p of platforms) {
    const img = await writeBusyboxImage(dir, {
      arch: p.arch,
      ...(p.variant !== undefined ? { variant: p.variant } : {}),
    });
    manifests.push(img.manifest);
    byArch[p.arch + (p.variant ? `/${p.variant}` : "")] = img.manifestDigest;
  }
  const text = serializeIndex({ schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests });
  const blob = writeBlob(dir, new TextEncoder().encode(text));
  const index: Descriptor = {
    mediaType: MEDIA_TYPE_OCI_INDEX,
    ...blob,
    annotations: { "org.opencontainers.image.ref.name": "multi" },
  };
  writeLayoutIndex(dir, [index]);
  return { index, manifests: byArch };
}

/** A content store that counts ingests, around a real one. */
class CountingStore implements ContentStore {
  ingested: string[] = [];
  constructor(readonly inner: ContentStore) {}
  ingest(stream: ReadableStream<Uint8Array>, expected?: ExpectedBlob): Promise<BlobInfo> {
    this.ingested.push(expected?.digest ?? "?");
    return this.inner.ingest(stream, expected);
  }
  writer() {
    return this.inner.writer();
  }
  get(digest: string) {
    return this.inner.get(digest);
  }
  readBytes(digest: string) {
    return this.inner.readBytes(digest);
  }
  has(digest: string) {
    return this.inner.has(digest);
  }
  size(digest: string) {
    return this.inner.size(digest);
  }
  delete(digest: string) {
    return this.inner.delete(digest);
  }
  list() {
    return this.inner.list();
  }
}

function flipLastByte(file: string): void {
  const data = fs.readFileSync(file);
  data[data.length - 1] = data[data.length - 1]! ^ 0xff;
  fs.writeFileSync(file, data);
}

describe("makeBusyboxLayout()", () => {
  it("makeBusyboxLayout() writes busybox, applet links, users and dirs in one gzip layer", async () => {
    requireBusybox();
    const dir = tempDir("fixture");
    const img = await makeBusyboxLayout(dir);
    assert.equal(img.layer.mediaType, MEDIA_TYPE_OCI_LAYER_GZIP);
    assert.deepEqual(img.config.config?.Cmd, ["sh"]);
    assert.deepEqual(img.config.config?.Env, [BUSYBOX_PATH_ENV]);
    assert.equal(img.config.rootfs.diff_ids?.[0], img.layer.diffId);
    const gz = fs.readFileSync(path.join(dir, "blobs", "sha256", img.layer.digest.slice(7)));
    const tar = new Uint8Array(gunzipSync(gz));
    const entries = new Map<
      string,
      { type: string; linkname: string; mode: number; text?: string }
    >();
    for await (const e of readTar(new Blob([tar]).stream())) {
      const h = e.header;
      const rec: { type: string; linkname: string; mode: number; text?: string } = {
        type: h.type,
        linkname: h.linkname,
        mode: h.mode,
      };
      if (h.name.startsWith("etc/")) rec.text = new TextDecoder().decode(await e.bytes());
      else await e.skip();
      entries.set(h.name, rec);
      assert.equal(h.mtime, 0, `${h.name} has mtime 0`);
    }
    assert.equal(entries.get("bin/busybox")?.type, "file");
    for (const applet of ["sh", "ls", "cat", "echo", "mkdir"]) {
      assert.deepEqual(
        [entries.get(`bin/${applet}`)?.type, entries.get(`bin/${applet}`)?.linkname],
        ["symlink", "busybox"],
        `bin/${applet} links to busybox`,
      );
    }
    assert.equal(entries.get("tmp/")?.mode, 0o1777);
    assert.equal(entries.get("root/")?.type, "directory");
    assert.match(entries.get("etc/passwd")?.text ?? "", /^root:x:0:0:/m);
    assert.match(entries.get("etc/passwd")?.text ?? "", /^nobody:x:65534:65534:/m);
    assert.match(entries.get("etc/passwd")?.text ?? "", /^app:x:1000:1000:/m);
    assert.match(entries.get("etc/group")?.text ?? "", /^app:x:1000:$/m);
  });

  it("makeBusyboxLayout() is deterministic", async () => {
    requireBusybox();
    const a = await makeBusyboxLayout(tempDir("det-a"));
    const b = await makeBusyboxLayout(tempDir("det-b"));
    assert.equal(a.manifestDigest, b.manifestDigest);
    assert.equal(a.layer.diffId, b.layer.diffId);
  });

  it("skopeo inspect oci:DIR:busybox accepts the fixture layout", async () => {
    requireBusybox();
    const dir = tempDir("skopeo");
    const img = await makeBusyboxLayout(dir);
    const r = spawnSync("skopeo", ["inspect", `oci:${dir}:busybox`], { encoding: "utf8" });
    if (r.error !== undefined) {
      assert.fail(
        `skopeo cannot run (${r.error.message}): install the Debian package skopeo ` +
          "(scripts/bootstrap.sh does it)",
      );
    }
    assert.equal(r.status, 0, `skopeo inspect failed: ${r.stderr}`);
    const info = JSON.parse(r.stdout) as { Digest: string; Architecture: string; Os: string };
    assert.equal(info.Digest, img.manifestDigest);
    assert.equal(info.Architecture, img.platform.architecture);
    assert.equal(info.Os, "linux");
  });
});

describe("openOciLayout()", () => {
  it("openOciLayout() resolves an image by tag, full name and containerd name", async () => {
    requireBusybox();
    const dir = tempDir("tag");
    const img = await makeBusyboxLayout(dir);
    const layout = await openOciLayout(dir);
    for (const ref of ["busybox", "busybox:latest", "docker.io/library/busybox:latest"]) {
      const r = await layout.resolve(ref, { platform: img.platform });
      assert.equal(r.descriptor.digest, img.manifestDigest, ref);
      assert.equal(r.manifest.config.digest, img.configDigest, ref);
    }
  });

  it("openOciLayout() resolves a bare tag written by BuildKit's OCI exporter", async () => {
    requireBusybox();
    const dir = tempDir("baretag");
    const img = await makeBusyboxLayout(dir, { refName: "v1" });
    const layout = await openOciLayout(dir);
    assert.equal((await layout.resolve("v1")).descriptor.digest, img.manifestDigest);
    assert.equal(
      (await layout.resolve("example.com/app:v1")).descriptor.digest,
      img.manifestDigest,
    );
  });

  it("openOciLayout() resolves an image by digest", async () => {
    requireBusybox();
    const dir = tempDir("digest");
    const img = await makeBusyboxLayout(dir);
    const layout = await openOciLayout(dir);
    assert.equal((await layout.resolve(img.manifestDigest)).descriptor.digest, img.manifestDigest);
    assert.equal(
      (await layout.resolve(`busybox@${img.manifestDigest}`)).descriptor.digest,
      img.manifestDigest,
    );
  });

  it("openOciLayout() takes the only image when no reference is given", async () => {
    requireBusybox();
    const dir = tempDir("default");
    const img = await makeBusyboxLayout(dir);
    const layout = await openOciLayout(dir);
    assert.equal((await layout.resolve()).descriptor.digest, img.manifestDigest);
  });

  it("openOciLayout() asks for a reference when the layout holds several images", async () => {
    requireBusybox();
    const dir = tempDir("several");
    const a = await writeBusyboxImage(dir, { arch: "amd64" });
    const b = await writeBusyboxImage(dir, { arch: "arm64" });
    writeLayoutIndex(dir, [
      { ...a.manifest, annotations: { "org.opencontainers.image.ref.name": "a" } },
      { ...b.manifest, annotations: { "org.opencontainers.image.ref.name": "b" } },
    ]);
    const layout = await openOciLayout(dir);
    await assert.rejects(layout.resolve(), /holds 2 images; name one of: a, b/);
    assert.equal(
      (await layout.resolve("b", { platform: ARM64 })).descriptor.digest,
      b.manifestDigest,
    );
  });

  it("openOciLayout() names the available tags for an unknown one", async () => {
    requireBusybox();
    const dir = tempDir("unknown");
    await makeBusyboxLayout(dir);
    const layout = await openOciLayout(dir);
    await assert.rejects(layout.resolve("alpine:3"), (e: unknown) => {
      assert.ok(e instanceof OciLayoutRefNotFoundError);
      assert.match(e.message, /image "alpine:3" not found in the OCI layout/);
      assert.deepEqual(e.available, ["busybox", "docker.io/library/busybox:latest"]);
      return true;
    });
  });

  it("openOciLayout() rejects a directory that is not a layout", async () => {
    const dir = tempDir("notlayout");
    await assert.rejects(openOciLayout(dir), (e: unknown) => {
      assert.ok(e instanceof OciLayoutError);
      assert.match(e.message, /is not an OCI image layout: it has no oci-layout/);
      return true;
    });
  });

  it("openOciLayout() rejects a malformed index.json", async () => {
    const dir = tempDir("badindex");
    fs.writeFileSync(path.join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    fs.writeFileSync(path.join(dir, "index.json"), '{"schemaVersion":2,"manifests":[{"size":1}]}');
    await assert.rejects(openOciLayout(dir), /Invalid image index: manifests\[0\]/);
  });

  it("openOciLayout() picks the manifest for the wanted platform from an index", async () => {
    requireBusybox();
    const dir = tempDir("multi");
    const { manifests } = await makeMultiPlatformLayout(dir, [{ arch: "amd64" }, {
      arch: "arm64",
    }]);
    const layout = await openOciLayout(dir);
    const arm = await layout.resolve("multi", { platform: ARM64 });
    assert.equal(arm.descriptor.digest, manifests["arm64"]);
    assert.equal(arm.platform?.architecture, "arm64");
    const amd = await layout.resolve("multi", { platform: AMD64 });
    assert.equal(amd.descriptor.digest, manifests["amd64"]);
    assert.notEqual(manifests["amd64"], manifests["arm64"]);
    // A platform manifest named by digest is found although index.json lists only the index.
    const byDigest = await layout.resolve(manifests["arm64"], { platform: AMD64 });
    assert.equal(byDigest.descriptor.digest, manifests["arm64"]);
  });

  it("openOciLayout() falls back to a compatible platform (arm64 runs arm/v7)", async () => {
    requireBusybox();
    const dir = tempDir("fallback");
    const { manifests } = await makeMultiPlatformLayout(dir, [
      { arch: "amd64" },
      { arch: "arm", variant: "v7" },
    ]);
    const layout = await openOciLayout(dir);
    const r = await layout.resolve("multi", { platform: ARM64 });
    assert.equal(r.descriptor.digest, manifests["arm/v7"]);
  });

  it("openOciLayout() lists the available platforms when none matches", async () => {
    requireBusybox();
    const dir = tempDir("noplatform");
    await makeMultiPlatformLayout(dir, [{ arch: "amd64" }, { arch: "arm64" }]);
    const layout = await openOciLayout(dir);
    await assert.rejects(
      layout.resolve("multi", { platform: { os: "linux", architecture: "s390x" } }),
      (e: unknown) => {
        assert.ok(e instanceof NoMatchingPlatformError);
        assert.equal(e.platform, "linux/s390x");
        assert.deepEqual(e.available, ["linux/amd64", "linux/arm64"]);
        assert.match(e.message, /available platforms: linux\/amd64, linux\/arm64/);
        return true;
      },
    );
  });
});

describe("importImage()", () => {
  it("importImage() copies manifest, config and layers into the content store", async () => {
    requireBusybox();
    const dir = tempDir("import");
    const img = await makeBusyboxLayout(dir);
    const store = new CountingStore(new FileContentStore(tempDir("cs")));
    const out = await importImage({
      source: { kind: "oci-layout", dir, ref: "busybox" },
      platform: img.platform,
      store,
    });
    assert.equal(out.manifestDigest, img.manifestDigest);
    assert.equal(out.configDigest, img.configDigest);
    assert.deepEqual(out.config.config?.Cmd, ["sh"]);
    assert.deepEqual(out.layers, [{
      mediaType: MEDIA_TYPE_OCI_LAYER_GZIP,
      digest: img.layer.digest,
      size: img.layer.size,
      diffId: img.layer.diffId,
    }]);
    for (const d of [img.manifestDigest, img.configDigest, img.layer.digest]) {
      assert.ok(await store.has(d), `${d} is stored`);
      await store.readBytes(d); // verified read
    }
    assert.equal(store.ingested.length, 3);
    // A second import finds every blob present and copies nothing.
    await importImage({ source: { kind: "oci-layout", dir }, platform: img.platform, store });
    assert.equal(store.ingested.length, 3);
  });

  it("importImage() picks the platform's manifest from an index", async () => {
    requireBusybox();
    const dir = tempDir("import-multi");
    const { manifests } = await makeMultiPlatformLayout(dir, [{ arch: "amd64" }, {
      arch: "arm64",
    }]);
    const store = new FileContentStore(tempDir("cs"));
    const out = await importImage({
      source: { kind: "oci-layout", dir, ref: "multi" },
      platform: ARM64,
      store,
    });
    assert.equal(out.manifestDigest, manifests["arm64"]);
    assert.equal(out.config.architecture, "arm64");
    assert.deepEqual(out.platform, ARM64);
    assert.ok(!(await store.has(manifests["amd64"]!)), "the other platform is not copied");
  });

  it("importImage() fails naming a corrupt layer blob and stores nothing under its digest", async () => {
    requireBusybox();
    const dir = tempDir("corrupt");
    const img = await makeBusyboxLayout(dir);
    flipLastByte(path.join(dir, "blobs", "sha256", img.layer.digest.slice(7)));
    const store = new FileContentStore(tempDir("cs"));
    await assert.rejects(
      importImage({ source: { kind: "oci-layout", dir }, platform: img.platform, store }),
      (e: unknown) => {
        assert.ok(e instanceof BlobVerificationError);
        assert.equal(e.digest, img.layer.digest);
        assert.ok(e.message.includes(img.layer.digest), e.message);
        return true;
      },
    );
    assert.equal(await store.has(img.layer.digest), false);
    assert.equal(await store.has(img.manifestDigest), false, "no manifest without its layers");
    assert.deepEqual(fs.readdirSync(path.join(store.root, "ingest")), [], "no temporary left");
  });

  it("importImage() fails naming a corrupt config blob", async () => {
    requireBusybox();
    const dir = tempDir("corrupt-config");
    const img = await makeBusyboxLayout(dir);
    flipLastByte(path.join(dir, "blobs", "sha256", img.configDigest.slice(7)));
    const store = new FileContentStore(tempDir("cs"));
    await assert.rejects(
      importImage({ source: { kind: "oci-layout", dir }, platform: img.platform, store }),
      (e: unknown) => {
        assert.ok(e instanceof BlobVerificationError);
        assert.equal(e.digest, img.configDigest);
        return true;
      },
    );
    assert.equal(await store.has(img.configDigest), false);
  });

  it("importImage() reads an image from the image store", async () => {
    requireBusybox();
    const dir = tempDir("from-store");
    const img = await makeBusyboxLayout(dir);
    const store = openStore(tempDir("store"));
    await importImage({ source: { kind: "oci-layout", dir }, platform: img.platform, store });
    await store.images.tag("docker.io/library/busybox:latest", {
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      digest: img.manifestDigest,
      size: img.manifest.size,
    });
    const out = await importImage({
      source: { kind: "image-store", ref: "busybox" },
      platform: img.platform,
      store,
    });
    assert.equal(out.manifestDigest, img.manifestDigest);
    assert.equal(out.layers[0]?.diffId, img.layer.diffId);
  });

  it("importImage() throws ImageNotFoundError for an image not in the store", async () => {
    const store = openStore(tempDir("store-empty"));
    await assert.rejects(
      importImage({ source: { kind: "image-store", ref: "alpine" }, platform: AMD64, store }),
      (e: unknown) => {
        assert.ok(e instanceof ImageNotFoundError);
        assert.equal(e.ref, "docker.io/library/alpine:latest");
        return true;
      },
    );
  });
});

describe("createImageResolver()", () => {
  it("createImageResolver() returns the pinned ref and config of an image in the store", async () => {
    requireBusybox();
    const dir = tempDir("resolver");
    const img = await makeBusyboxLayout(dir);
    const store = openStore(tempDir("store"));
    await importImage({ source: { kind: "oci-layout", dir }, platform: img.platform, store });
    await store.images.tag("docker.io/library/busybox:latest", {
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      digest: img.manifestDigest,
      size: img.manifest.size,
    });
    const resolver = createImageResolver({ store });
    const res = await resolver.resolveImageConfig("docker.io/library/busybox:latest", {
      platform: img.platform,
      resolveMode: "default",
    });
    assert.equal(res.ref, `docker.io/library/busybox:latest@${img.manifestDigest}`);
    assert.deepEqual(res.config?.config?.Cmd, ["sh"]);
    assert.deepEqual(res.config?.config?.Env, [BUSYBOX_PATH_ENV]);
    assert.equal(res.config?.architecture, img.platform.architecture);
    // Pinned references resolve by digest too.
    const again = await resolver.resolveImageConfig(res.ref, {
      platform: img.platform,
      resolveMode: "default",
    });
    assert.equal(again.ref, res.ref);
  });

  it("createImageResolver() reads oci-layout:// references from their layout", async () => {
    requireBusybox();
    const dir = tempDir("resolver-layout");
    const img = await makeBusyboxLayout(dir);
    const resolver = createImageResolver({
      store: openStore(tempDir("store")),
      namedContexts: { base: `oci-layout://${dir}@${img.manifestDigest}` },
    });
    const opts = { platform: img.platform, resolveMode: "default" as const };
    for (
      const ref of [
        `oci-layout://${dir}:busybox`,
        `oci-layout://${dir}@${img.manifestDigest}`,
        `oci-layout://base@${img.manifestDigest}`,
      ]
    ) {
      const res = await resolver.resolveImageConfig(ref, opts);
      assert.ok(res.ref.endsWith(`@${img.manifestDigest}`), `${ref} → ${res.ref}`);
      assert.ok(res.ref.startsWith("oci-layout://"), res.ref);
      assert.deepEqual(res.config?.config?.Cmd, ["sh"]);
    }
  });

  it("createImageResolver() throws ImageNotFoundError for an unknown image", async () => {
    const resolver = createImageResolver({ store: openStore(tempDir("store-none")) });
    await assert.rejects(
      resolver.resolveImageConfig("docker.io/library/nothere:1", {
        platform: AMD64,
        resolveMode: "default",
      }),
      (e: unknown) => {
        assert.ok(e instanceof ImageNotFoundError);
        assert.equal(e.ref, "docker.io/library/nothere:1");
        assert.match(e.message, /not in the local image store/);
        assert.match(e.message, /registry is not implemented yet/);
        return true;
      },
    );
  });

  it("parseOciLayoutRef() splits store, tag and digest", () => {
    const d = `sha256:${"a".repeat(64)}`;
    assert.deepEqual(parseOciLayoutRef(`oci-layout:///srv/x:v1@${d}`), {
      store: "/srv/x",
      tag: "v1",
      digest: d,
    });
    assert.deepEqual(parseOciLayoutRef("oci-layout:///srv/x"), { store: "/srv/x" });
    assert.deepEqual(parseOciLayoutRef(`name@${d}`), { store: "name", digest: d });
    assert.throws(() => parseOciLayoutRef("oci-layout://x@sha256:zz"), /invalid digest/);
  });
});
