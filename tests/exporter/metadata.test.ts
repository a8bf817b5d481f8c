// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { exporterResponse, imageIdFileText, metadataFileText } from "../../src/exporter/mod.ts";

const descriptor = {
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${"a".repeat(64)}` as never,
  size: 480,
  annotations: { "org.opencontainers.image.created": "2015-10-21T07:28:00Z" },
  platform: { architecture: "amd64", os: "linux" },
};

describe("metadata", () => {
  it("exporterResponse() has BuildKit's keys with a base64 descriptor", () => {
    const r = exporterResponse({
      descriptor,
      configDigest: `sha256:${"c".repeat(64)}`,
      names: ["docker.io/library/app:1"],
    });
    assert.deepEqual(Object.keys(r).sort(), [
      "containerimage.config.digest",
      "containerimage.descriptor",
      "containerimage.digest",
      "image.name",
    ]);
    assert.equal(
      atob(r["containerimage.descriptor"]!),
      `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:${
        "a".repeat(64)
      }","size":480,` +
        `"annotations":{"org.opencontainers.image.created":"2015-10-21T07:28:00Z"},"platform":{"architecture":"amd64","os":"linux"}}`,
    );
  });

  it("metadataFileText() embeds the descriptor as an object and sorts keys", () => {
    const r = exporterResponse({
      descriptor,
      configDigest: `sha256:${"c".repeat(64)}`,
      names: ["x"],
    });
    const text = metadataFileText(r, { "buildx.build.ref": "builder/builder0/abc" });
    const md = JSON.parse(text);
    assert.deepEqual(Object.keys(md), [
      "buildx.build.ref",
      "containerimage.config.digest",
      "containerimage.descriptor",
      "containerimage.digest",
      "image.name",
    ]);
    assert.deepEqual(md["containerimage.descriptor"], descriptor);
    assert.equal(md["image.name"], "x");
    assert.ok(text.startsWith('{\n  "buildx.build.ref"'));
  });

  it("imageIdFileText() prefers the config digest, else the image digest", () => {
    const single = exporterResponse({ descriptor, configDigest: "sha256:c" });
    assert.equal(imageIdFileText(single), "sha256:c");
    const multi = exporterResponse({ descriptor });
    assert.equal(imageIdFileText(multi), descriptor.digest);
  });
});
