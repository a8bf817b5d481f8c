// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import process from "node:process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MemoryContentStore } from "../../src/store/mod.ts";
import {
  assembleImageConfig,
  buildImage,
  buildIndex,
  EXPORTER_HISTORY_COMMENT,
  REWRITTEN_TIMESTAMP_ANNOTATION,
  withCreatedAnnotation,
} from "../../src/exporter/mod.ts";
import {
  parseImageConfig,
  parseManifest,
  validateImage,
  validateIndex,
} from "../../src/oci/mod.ts";
import { checkGoldenImage, listGoldenImages } from "../../scripts/conformance/exporter.ts";
import { fixtureConfig, sha256Hex, twoLayers } from "./_fixtures.ts";

const here = dirname(fileURLToPath(import.meta.url));
const conformanceDir = process.env.BUILDKIT_CONFORMANCE_DIR ??
  resolve(here, "../../../shared/conformance");
const corpus = join(conformanceDir, "client/testdata/compatibility");
const skipCorpus = existsSync(corpus) ? false : `conformance corpus not found at ${corpus}`;

describe("buildImage()", () => {
  it("buildImage() sets rootfs.diff_ids from the layers and back-fills history", async () => {
    const store = new MemoryContentStore();
    const layers = await twoLayers(store);
    const image = await buildImage({ store, layers, config: fixtureConfig() });
    assert.deepEqual(image.config.rootfs.diff_ids, layers.map((l) => l.diffId));
    const history = image.config.history ?? [];
    assert.equal(history.length, 3);
    assert.equal(history[2]!.comment, EXPORTER_HISTORY_COMMENT);
    assert.equal(history[2]!.created_by, "RUN make app");
    assert.equal(history[2]!.created, "2030-01-01T00:00:00Z");
    assert.deepEqual(
      validateImage({ manifest: image.manifestBytes, config: image.configBytes }, { sha256Hex }),
      [],
    );
  });

  it("buildImage() clamps created and our history to SOURCE_DATE_EPOCH, keeping base history", async () => {
    const store = new MemoryContentStore();
    const layers = await twoLayers(store);
    const config = { ...fixtureConfig(), created: "2030-01-01T00:00:00Z" };
    const base = {
      ...fixtureConfig(),
      history: [{ created: "2020-01-01T00:00:00Z", created_by: "base", empty_layer: true }],
    };
    config.history = [...base.history, ...config.history!];
    const image = await buildImage({
      store,
      layers,
      config,
      baseImage: base,
      sourceDateEpoch: 1_000_000_000,
    });
    const h = image.config.history!;
    assert.equal(image.config.created, "2001-09-09T01:46:40Z");
    assert.equal(h[0]!.created, "2020-01-01T00:00:00Z", "base history keeps its time");
    assert.equal(h[1]!.created, "2001-09-09T01:46:40Z");
    assert.equal(h[3]!.created, "2001-09-09T01:46:40Z", "back-filled entry clamped");
  });

  it("buildImage() stamps rewritten-timestamp on non-base OCI layers only", async () => {
    const store = new MemoryContentStore();
    const layers = await twoLayers(store);
    const base = {
      ...fixtureConfig(),
      rootfs: { type: "layers" as const, diff_ids: [layers[0]!.diffId as never] },
    };
    const oci = await buildImage({
      store,
      layers,
      config: fixtureConfig(),
      baseImage: base,
      sourceDateEpoch: 0,
      rewriteTimestamp: true,
    });
    assert.equal(oci.manifest.layers[0]!.annotations, undefined);
    assert.deepEqual(oci.manifest.layers[1]!.annotations, {
      [REWRITTEN_TIMESTAMP_ANNOTATION]: "0",
    });
    const docker = await buildImage({
      store,
      layers,
      config: fixtureConfig(),
      sourceDateEpoch: 0,
      rewriteTimestamp: true,
      ociMediaTypes: false,
    });
    assert.equal(docker.manifest.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
    assert.equal(
      docker.configDescriptor.mediaType,
      "application/vnd.docker.container.image.v1+json",
    );
    assert.equal(
      docker.manifest.layers[1]!.mediaType,
      "application/vnd.docker.image.rootfs.diff.tar.gzip",
    );
    assert.equal(docker.manifest.layers[1]!.annotations, undefined);
  });

  it("buildImage() stores config and manifest under the digests of their exact bytes", async () => {
    const store = new MemoryContentStore();
    const layers = await twoLayers(store);
    const image = await buildImage({ store, layers, config: fixtureConfig(), sourceDateEpoch: 5 });
    assert.deepEqual(await store.readBytes(image.configDescriptor.digest), image.configBytes);
    assert.deepEqual(await store.readBytes(image.manifestDescriptor.digest), image.manifestBytes);
    assert.equal(parseManifest(image.manifestBytes).config.digest, image.configDescriptor.digest);
    assert.equal(parseImageConfig(image.configBytes).created, "1970-01-01T00:00:05Z");
    assert.deepEqual(image.manifestDescriptor.platform, { architecture: "amd64", os: "linux" });
  });

  it("assembleImageConfig() marks surplus history layers empty from the bottom", () => {
    const config = fixtureConfig();
    config.history = [
      { created_by: "a" },
      { created_by: "b" },
      { created_by: "c" },
    ];
    const out = assembleImageConfig({ config, layers: [] });
    assert.deepEqual(out.history!.map((h) => h.empty_layer ?? false), [true, true, true]);
  });

  it("buildIndex() wraps per-platform manifests and validates", async () => {
    const store = new MemoryContentStore();
    const layers = await twoLayers(store);
    const amd = await buildImage({ store, layers, config: fixtureConfig() });
    const arm = await buildImage({
      store,
      layers,
      config: { ...fixtureConfig(), architecture: "arm64" },
    });
    const { index, indexBytes } = await buildIndex({
      store,
      manifests: [amd.manifestDescriptor, arm.manifestDescriptor],
      index: { "org.example": "x" },
    });
    assert.equal(index.manifests[1]!.platform?.architecture, "arm64");
    const blobs = new Map([
      [amd.manifestDescriptor.digest as string, amd.manifestBytes],
      [arm.manifestDescriptor.digest as string, arm.manifestBytes],
    ]);
    assert.deepEqual(validateIndex({ index: indexBytes, blobs }, { sha256Hex }), []);
    await assert.rejects(
      buildIndex({
        store,
        manifests: [amd.manifestDescriptor],
        ociMediaTypes: false,
        index: { a: "b" },
      }),
      /oci-mediatypes=false/,
    );
  });

  it("withCreatedAnnotation() uses the epoch", () => {
    const d = withCreatedAnnotation({ mediaType: "m", digest: "sha256:0" as never, size: 1 }, {
      sourceDateEpoch: 1445412480,
    });
    assert.equal(d.annotations?.["org.opencontainers.image.created"], "2015-10-21T07:28:00Z");
  });
});

describe("buildImage() against BuildKit's compatibility goldens", { skip: skipCorpus }, () => {
  it("buildImage() reproduces every golden config.json and manifest.json byte for byte", async () => {
    const goldens = listGoldenImages(conformanceDir);
    assert.ok(goldens.length > 0);
    const failures: string[] = [];
    for (const g of goldens) {
      const reason = await checkGoldenImage(g);
      if (reason !== undefined) failures.push(`${g.name}: ${reason}`);
    }
    assert.deepEqual(failures, []);
  });
});
