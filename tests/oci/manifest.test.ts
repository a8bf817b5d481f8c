// Copyright 2026 the buildkit-ts authors. MIT license.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import {
  canonicalDescriptor,
  type Descriptor,
  type Digest,
  MEDIA_TYPE_DOCKER_CONFIG,
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
  OciValidationError,
  parseIndex,
  parseManifest,
  parseManifestOrIndex,
  serializeIndex,
  serializeManifest,
} from "../../src/oci/mod.ts";
import { COMPAT_DIR, COMPAT_SKIP, goldens } from "./_corpus.ts";

const D1 = ("sha256:" + "1".repeat(64)) as Digest;
const D2 = ("sha256:" + "2".repeat(64)) as Digest;

function ociManifest(): Record<string, unknown> {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    config: { mediaType: MEDIA_TYPE_OCI_CONFIG, digest: D1, size: 10 },
    layers: [{ mediaType: MEDIA_TYPE_OCI_LAYER_GZIP, digest: D2, size: 20 }],
  };
}

function rejects(
  text: string,
  path: string,
  parse: (s: string) => unknown = parseManifest,
): void {
  assert.throws(() => parse(text), (e: unknown) => {
    assert.ok(e instanceof OciValidationError, String(e));
    assert.ok(
      e.issues.some((i) => i.path === path),
      `expected an issue at ${path}, got ${JSON.stringify(e.issues)}`,
    );
    assert.ok(e.message.includes(path), e.message);
    return true;
  });
}

describe("parseManifest()", () => {
  it(
    "parseManifest() accepts every manifest.json of the BuildKit goldens",
    { skip: COMPAT_SKIP },
    () => {
      const files = goldens("manifest.json");
      assert.ok(files.length > 0);
      for (const file of files) {
        const m = parseManifest(readFileSync(file));
        assert.ok(m.layers.length > 0, relative(COMPAT_DIR, file));
      }
    },
  );
  it("serializeManifest() reproduces every golden manifest.json byte for byte", {
    skip: COMPAT_SKIP,
  }, () => {
    for (const file of goldens("manifest.json")) {
      const text = readFileSync(file, "utf8");
      assert.equal(serializeManifest(parseManifest(text)), text, relative(COMPAT_DIR, file));
    }
  });
  it("parseManifest() accepts a Docker schema 2 manifest", () => {
    const m = parseManifest(JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_DOCKER_MANIFEST,
      config: { mediaType: MEDIA_TYPE_DOCKER_CONFIG, digest: D1, size: 1 },
      layers: [{ mediaType: MEDIA_TYPE_DOCKER_LAYER_GZIP, digest: D2, size: 2 }],
    }));
    assert.equal(m.mediaType, MEDIA_TYPE_DOCKER_MANIFEST);
  });
  it("parseManifest() accepts an OCI manifest without mediaType, with subject and annotations", () => {
    const value = ociManifest();
    delete value.mediaType;
    value.subject = { mediaType: MEDIA_TYPE_OCI_MANIFEST, digest: D1, size: 3 };
    value.annotations = { "org.opencontainers.image.title": "x" };
    value.artifactType = "application/vnd.example+json";
    const m = parseManifest(JSON.stringify(value));
    assert.equal(m.mediaType, undefined);
  });
  it("parseManifest() keeps unknown fields it does not know", () => {
    const value = { ...ociManifest(), extra: 1 };
    const m = parseManifest(JSON.stringify(value)) as unknown as Record<string, unknown>;
    assert.equal(m.extra, 1);
  });
  it("parseManifest() names the path of a bad layer digest", () => {
    const value = ociManifest();
    (value.layers as Descriptor[])[0]!.digest = "sha256:abc" as Digest;
    rejects(JSON.stringify(value), "layers[0].digest");
  });
  it("parseManifest() names the path of a negative size", () => {
    const value = ociManifest();
    (value.config as Descriptor).size = -1;
    rejects(JSON.stringify(value), "config.size");
  });
  it("parseManifest() rejects schemaVersion other than 2", () => {
    rejects(JSON.stringify({ ...ociManifest(), schemaVersion: 3 }), "schemaVersion");
  });
  it("parseManifest() rejects a missing config", () => {
    const value = ociManifest();
    delete value.config;
    rejects(JSON.stringify(value), "config");
  });
  it("parseManifest() rejects an invalid media type string", () => {
    const value = ociManifest();
    (value.layers as Descriptor[])[0]!.mediaType = "not a media type";
    rejects(JSON.stringify(value), "layers[0].mediaType");
  });
  it("parseManifest() rejects a manifest whose mediaType is an index type", () => {
    rejects(JSON.stringify({ ...ociManifest(), mediaType: MEDIA_TYPE_OCI_INDEX }), "mediaType");
  });
  it("parseManifest() rejects Docker schema 1 with a clear message", () => {
    assert.throws(
      () => parseManifest(JSON.stringify({ schemaVersion: 1, name: "x", fsLayers: [] })),
      /schema 1 manifests are not supported/,
    );
  });
  it("parseManifest() rejects an index", () => {
    assert.throws(() => parseManifest('{"schemaVersion":2,"manifests":[]}'), /is an index/);
  });
  it("parseManifest() reports text that is not JSON", () => {
    assert.throws(() => parseManifest("{"), /Invalid image manifest: not JSON/);
  });
});

describe("serializeManifest()", () => {
  it("serializeManifest() writes Go struct order, sorts annotations and drops empty fields", () => {
    const text = serializeManifest({
      annotations: { b: "2", a: "1" },
      layers: [{
        size: 2,
        digest: D2,
        mediaType: MEDIA_TYPE_OCI_LAYER_GZIP,
        urls: [],
        annotations: {},
      }],
      config: { size: 1, digest: D1, mediaType: MEDIA_TYPE_OCI_CONFIG },
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      schemaVersion: 2,
    }, { indent: "" });
    assert.equal(
      text,
      `{"schemaVersion":2,"mediaType":"${MEDIA_TYPE_OCI_MANIFEST}","config":{"mediaType":"${MEDIA_TYPE_OCI_CONFIG}","digest":"${D1}","size":1},"layers":[{"mediaType":"${MEDIA_TYPE_OCI_LAYER_GZIP}","digest":"${D2}","size":2}],"annotations":{"a":"1","b":"2"}}`,
    );
  });
  it("canonicalDescriptor() orders platform fields as Go does", () => {
    const d = canonicalDescriptor({
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      digest: D1,
      size: 1,
      platform: { variant: "v7", os: "linux", architecture: "arm" },
    });
    assert.deepEqual(Object.keys(d.platform!), ["architecture", "os", "variant"]);
  });
});

describe("parseIndex()", () => {
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_INDEX,
    manifests: [{
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      digest: D1,
      size: 100,
      platform: { architecture: "arm64", os: "linux" },
    }, {
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      digest: D2,
      size: 50,
      annotations: {
        "vnd.docker.reference.digest": D1,
        "vnd.docker.reference.type": "attestation-manifest",
      },
      platform: { architecture: "unknown", os: "unknown" },
    }],
  };
  it("parseIndex() accepts an OCI index with attestation entries", () => {
    assert.equal(parseIndex(JSON.stringify(index)).manifests.length, 2);
  });
  it("serializeIndex() round-trips an index written in Go order", () => {
    const text = JSON.stringify(index, null, 2);
    assert.equal(serializeIndex(parseIndex(text)), text);
  });
  it("parseIndex() accepts a Docker manifest list with platform features", () => {
    const list = parseIndex(JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_DOCKER_MANIFEST_LIST,
      manifests: [{
        mediaType: MEDIA_TYPE_DOCKER_MANIFEST,
        digest: D1,
        size: 1,
        platform: {
          architecture: "amd64",
          os: "windows",
          "os.version": "10.0.17763.1",
          features: ["sse4"],
        },
      }],
    }));
    assert.equal(list.manifests[0]!.platform?.["os.version"], "10.0.17763.1");
  });
  it("parseIndex() names the path of a platform without os", () => {
    const bad = structuredClone(index) as { manifests: { platform: Record<string, unknown> }[] };
    delete bad.manifests[0]!.platform.os;
    rejects(JSON.stringify(bad), "manifests[0].platform.os", parseIndex);
  });
  it("parseIndex() rejects an image manifest", () => {
    assert.throws(() => parseIndex(JSON.stringify(ociManifest())), /not an index/);
  });
  it("parseManifestOrIndex() tells a manifest from an index", () => {
    assert.equal(parseManifestOrIndex(JSON.stringify(index)).kind, "index");
    assert.equal(parseManifestOrIndex(JSON.stringify(ociManifest())).kind, "manifest");
    const noType = { schemaVersion: 2, manifests: [] };
    assert.equal(parseManifestOrIndex(JSON.stringify(noType)).kind, "index");
  });
});
