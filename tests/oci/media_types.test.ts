// Copyright 2026 the buildkit-ts authors. MIT license.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  isIndexMediaType,
  isManifestMediaType,
  isNonDistributableLayer,
  layerCompression,
  layerMediaType,
  layerMediaTypeFamily,
  MEDIA_TYPE_BUILDKIT_CACHE_CONFIG,
  MEDIA_TYPE_DOCKER_FOREIGN_LAYER_GZIP,
  MEDIA_TYPE_DOCKER_LAYER,
  MEDIA_TYPE_OCI_LAYER_ZSTD,
} from "../../src/oci/mod.ts";

describe("layerMediaType()", () => {
  it("layerMediaType() names the type BuildKit writes per compression and family", () => {
    assert.equal(layerMediaType("gzip", "oci"), "application/vnd.oci.image.layer.v1.tar+gzip");
    assert.equal(layerMediaType("zstd", "oci"), MEDIA_TYPE_OCI_LAYER_ZSTD);
    assert.equal(layerMediaType("uncompressed", "oci"), "application/vnd.oci.image.layer.v1.tar");
    assert.equal(
      layerMediaType("gzip", "docker"),
      "application/vnd.docker.image.rootfs.diff.tar.gzip",
    );
    assert.equal(layerMediaType("uncompressed", "docker"), MEDIA_TYPE_DOCKER_LAYER);
  });
  it("layerCompression() and layerMediaTypeFamily() read a layer type back", () => {
    assert.equal(layerCompression(MEDIA_TYPE_OCI_LAYER_ZSTD), "zstd");
    assert.equal(layerCompression(MEDIA_TYPE_DOCKER_FOREIGN_LAYER_GZIP), "gzip");
    assert.equal(layerMediaTypeFamily(MEDIA_TYPE_DOCKER_FOREIGN_LAYER_GZIP), "docker");
    assert.equal(layerCompression("application/json"), undefined);
  });
  it("isNonDistributableLayer() spots foreign layers", () => {
    assert.ok(isNonDistributableLayer(MEDIA_TYPE_DOCKER_FOREIGN_LAYER_GZIP));
    assert.ok(!isNonDistributableLayer(MEDIA_TYPE_DOCKER_LAYER));
  });
  it("isManifestMediaType() and isIndexMediaType() separate manifests from indexes", () => {
    assert.ok(isManifestMediaType("application/vnd.docker.distribution.manifest.v2+json"));
    assert.ok(!isManifestMediaType("application/vnd.oci.image.index.v1+json"));
    assert.ok(isIndexMediaType("application/vnd.oci.image.index.v1+json"));
    assert.equal(MEDIA_TYPE_BUILDKIT_CACHE_CONFIG, "application/vnd.buildkit.cacheconfig.v0");
  });
});
