// Copyright 2026 the buildkit-ts authors. MIT license.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import {
  type Digest,
  type ImageManifest,
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
  serializeImageConfig,
  serializeIndex,
  serializeManifest,
  validateImage,
  validateIndex,
} from "../../src/oci/mod.ts";
import { COMPAT_DIR, COMPAT_SKIP, goldens } from "./_corpus.ts";

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const enc = new TextEncoder();
const layerBlob = enc.encode("pretend this is a gzip blob");
const layerTar = enc.encode("pretend this is a tar");

function image() {
  const configText = serializeImageConfig({
    architecture: "amd64",
    os: "linux",
    rootfs: { type: "layers", diff_ids: [`sha256:${sha256Hex(layerTar)}` as never] },
    history: [{ created_by: "COPY x /", comment: "buildkit.dockerfile.v0" }, {
      created_by: "ENV A=1",
      empty_layer: true,
    }],
  });
  const configBytes = enc.encode(configText);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    config: {
      mediaType: MEDIA_TYPE_OCI_CONFIG,
      digest: `sha256:${sha256Hex(configBytes)}` as Digest,
      size: configBytes.length,
    },
    layers: [{
      mediaType: MEDIA_TYPE_OCI_LAYER_GZIP,
      digest: `sha256:${sha256Hex(layerBlob)}` as Digest,
      size: layerBlob.length,
    }],
  };
  return { manifest, configBytes };
}

describe("validateImage()", () => {
  it("validateImage() finds no problem in a consistent image", () => {
    const { manifest, configBytes } = image();
    assert.deepEqual(
      validateImage({
        manifest: serializeManifest(manifest),
        config: configBytes,
        layers: [{ blob: layerBlob, diffId: `sha256:${sha256Hex(layerTar)}` }],
      }, { sha256Hex }),
      [],
    );
  });
  it("validateImage() reports a config digest and size that do not match the bytes", () => {
    const { manifest, configBytes } = image();
    manifest.config.size += 1;
    manifest.config.digest = ("sha256:" + "0".repeat(64)) as Digest;
    const problems = validateImage({ manifest, config: configBytes }, { sha256Hex });
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.match(problems[0]!, /^config: descriptor size/);
    assert.match(problems[1]!, /^config: descriptor digest .* hashes to sha256:/);
  });
  it("validateImage() reports a layer count that differs from diff_ids", () => {
    const { manifest, configBytes } = image();
    manifest.layers.push({ ...manifest.layers[0]! });
    const problems = validateImage({ manifest, config: configBytes }, { sha256Hex });
    assert.ok(
      problems.some((p) => p.startsWith("rootfs.diff_ids: 1 diff IDs for 2")),
      problems.join("\n"),
    );
  });
  it("validateImage() reports Docker layers inside an OCI manifest", () => {
    const { manifest, configBytes } = image();
    manifest.layers[0]!.mediaType = MEDIA_TYPE_DOCKER_LAYER_GZIP;
    const problems = validateImage({ manifest, config: configBytes }, { sha256Hex });
    assert.deepEqual(problems, [
      `layers[0].mediaType: ${MEDIA_TYPE_DOCKER_LAYER_GZIP} in an OCI manifest`,
    ]);
  });
  it("validateImage() reports an uncompressed layer whose digest is not its diff ID", () => {
    const { manifest, configBytes } = image();
    manifest.layers[0]!.mediaType = MEDIA_TYPE_OCI_LAYER;
    const problems = validateImage({ manifest, config: configBytes });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /uncompressed layer .* differs from rootfs.diff_ids\[0\]/);
  });
  it("validateImage() reports a layer blob and diff ID that do not match", () => {
    const { manifest, configBytes } = image();
    const problems = validateImage({
      manifest,
      config: configBytes,
      layers: [{ blob: enc.encode("other"), diffId: "sha256:" + "9".repeat(64) }],
    }, { sha256Hex });
    assert.equal(problems.length, 3, problems.join("\n"));
  });
  it("validateImage() reports schema errors instead of throwing", () => {
    const problems = validateImage({ manifest: "{}", config: "{}" });
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /^Invalid image manifest: /);
  });
  it("validateImage() accepts every golden manifest with its config", { skip: COMPAT_SKIP }, () => {
    // A manifest's config lives in common/<case>/<version>/config.json.
    for (const file of goldens("manifest.json")) {
      const rel = relative(COMPAT_DIR, file).split(/[\\/]/);
      const configFile = join(COMPAT_DIR, "common", rel[1]!, rel[2]!, "config.json");
      const problems = validateImage({
        manifest: readFileSync(file),
        config: readFileSync(configFile),
      }, { sha256Hex });
      assert.deepEqual(problems, [], relative(COMPAT_DIR, dirname(file)));
    }
  });
});

describe("validateIndex()", () => {
  it("validateIndex() verifies child bytes and platforms", () => {
    const { manifest } = image();
    const bytes = enc.encode(serializeManifest(manifest));
    const digest = `sha256:${sha256Hex(bytes)}` as Digest;
    const index = serializeIndex({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_OCI_INDEX,
      manifests: [{
        mediaType: MEDIA_TYPE_OCI_MANIFEST,
        digest,
        size: bytes.length,
        platform: { architecture: "amd64", os: "linux" },
      }],
    });
    assert.deepEqual(
      validateIndex({ index, blobs: new Map([[digest, bytes]]) }, { sha256Hex }),
      [],
    );
  });
  it("validateIndex() reports a missing platform and a wrong child size", () => {
    const { manifest } = image();
    const bytes = enc.encode(serializeManifest(manifest));
    const digest = `sha256:${sha256Hex(bytes)}` as Digest;
    const problems = validateIndex({
      index: {
        schemaVersion: 2,
        mediaType: MEDIA_TYPE_OCI_INDEX,
        manifests: [{ mediaType: MEDIA_TYPE_OCI_MANIFEST, digest, size: 1 }],
      },
      blobs: new Map([[digest, bytes]]),
    }, { sha256Hex });
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.match(problems[0]!, /platform: missing/);
    assert.match(problems[1]!, /descriptor size 1/);
  });
});
