// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Conformance for src/exporter against BuildKit's exporter goldens
 * (`client/testdata/compatibility/<exporter>/<case>/v<N>/`): from the layers
 * and the frontend config the golden image was made of, `buildImage` must
 * write a config and a manifest byte-identical to the goldens (same digests):
 * history back-filled with `buildkit.exporter.image.v0` entries, times clamped
 * to SOURCE_DATE_EPOCH, `rootfs.diff_ids`, media types per family and the
 * `buildkit/rewritten-timestamp` layer annotations.
 *
 * The inputs are recovered from the goldens themselves: the config without
 * the exporter's history entries and rootfs, and one layer per manifest layer
 * (digest, size, diff ID, description), stamped with a creation time after
 * the epoch so that clamping is exercised.
 *
 * @module
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import {
  type History,
  type ImageConfig,
  layerCompression,
  layerMediaType,
  type Manifest,
  MEDIA_TYPE_DOCKER_MANIFEST,
  validateImage,
} from "../../src/oci/mod.ts";
import { MemoryContentStore } from "../../src/store/mod.ts";
import { buildImage, EXPORTER_HISTORY_COMMENT, type ImageLayer } from "../../src/exporter/mod.ts";
import type { ConformanceCase, ConformanceRunner, ConformanceTable } from "./types.ts";

const CORPUS = "client/testdata/compatibility";
/** SOURCE_DATE_EPOCH of every golden case. */
export const GOLDEN_EPOCH = 1445412480;

/** One golden image: where its two files are. */
export interface GoldenImage {
  /** `<exporter>/<case>/v<N>`. */
  name: string;
  /** Path of config.json. */
  config: string;
  /** Path of manifest.json. */
  manifest: string;
}

/** Lists every (exporter, case, version) that has both a config and a manifest. */
export function listGoldenImages(dir: string): GoldenImage[] {
  const root = join(dir, CORPUS);
  const cases = new Set<string>();
  for (const group of ["common", "image", "oci"]) {
    const g = join(root, group);
    if (existsSync(g)) { for (const c of readdirSync(g)) cases.add(c); }
  }
  const out: GoldenImage[] = [];
  for (const exporter of ["image", "oci"]) {
    for (const c of [...cases].sort()) {
      for (const v of ["v10", "v20", "v30"]) {
        const find = (file: string) =>
          [join(root, "common", c, v, file), join(root, exporter, c, v, file)].find(existsSync);
        const config = find("config.json");
        const manifest = find("manifest.json");
        if (config !== undefined && manifest !== undefined) {
          out.push({ name: `${exporter}/${c}/${v}`, config, manifest });
        }
      }
    }
  }
  return out;
}

function firstDifference(want: string, got: string): string {
  let i = 0;
  while (i < want.length && i < got.length && want[i] === got[i]) i++;
  return `first difference at byte ${i}: want ${JSON.stringify(want.slice(i, i + 50))}, got ${
    JSON.stringify(got.slice(i, i + 50))
  }`;
}

/** Rebuilds one golden image with `buildImage`; returns the failure reason or undefined. */
export async function checkGoldenImage(golden: GoldenImage): Promise<string | undefined> {
  const configText = readFileSync(golden.config, "utf8");
  const manifestText = readFileSync(golden.manifest, "utf8");
  const config = JSON.parse(configText) as ImageConfig & Record<string, unknown>;
  const manifest = JSON.parse(manifestText) as Manifest & { annotations?: Record<string, string> };
  const history = config.history ?? [];
  const exporterEntries = history.filter((h) => h.comment === EXPORTER_HISTORY_COMMENT);
  const inputHistory: History[] = history.filter((h) => h.comment !== EXPORTER_HISTORY_COMMENT);
  const diffIds = config.rootfs.diff_ids ?? [];
  const firstNew = manifest.layers.length - exporterEntries.length;
  const layers: ImageLayer[] = manifest.layers.map((l, i) => {
    const compression = layerCompression(l.mediaType) ?? "gzip";
    const layer: ImageLayer = {
      // Stored layers carry OCI types; the exporter converts them for Docker manifests.
      mediaType: layerMediaType(compression, "oci"),
      digest: l.digest,
      size: l.size,
      diffId: diffIds[i] ?? "",
      created: "2026-01-02T03:04:05.123456789Z",
    };
    const entry = exporterEntries[i - firstNew];
    if (entry?.created_by !== undefined) layer.createdBy = entry.created_by;
    return layer;
  });
  const input = { ...config, history: inputHistory } as Record<string, unknown>;
  delete input.rootfs;
  const store = new MemoryContentStore();
  const built = await buildImage({
    store,
    layers,
    config: { ...input, rootfs: { type: "layers", diff_ids: [] } } as unknown as ImageConfig,
    sourceDateEpoch: GOLDEN_EPOCH,
    rewriteTimestamp: true,
    ociMediaTypes: manifest.mediaType !== MEDIA_TYPE_DOCKER_MANIFEST,
    annotations: manifest.annotations !== undefined ? { manifest: manifest.annotations } : {},
  });
  const gotConfig = new TextDecoder().decode(built.configBytes);
  if (gotConfig !== configText) {
    return `config.json differs: ${firstDifference(configText, gotConfig)}`;
  }
  const gotManifest = new TextDecoder().decode(built.manifestBytes);
  if (gotManifest !== manifestText) {
    return `manifest.json differs: ${firstDifference(manifestText, gotManifest)}`;
  }
  const problems = validateImage(
    { manifest: built.manifestBytes, config: built.configBytes },
    { sha256Hex: (b) => createHash("sha256").update(b).digest("hex") },
  );
  return problems.length > 0 ? `validateImage: ${problems.join("; ")}` : undefined;
}

/** Runs the exporter conformance table. */
export const run: ConformanceRunner = async (dir) => {
  const table: ConformanceTable = {
    file: `${CORPUS}/** (buildImage)`,
    passed: 0,
    failed: 0,
    skipped: 0,
    failures: [],
    skips: [],
  };
  for (const golden of listGoldenImages(dir)) {
    let reason: string | undefined;
    try {
      reason = await checkGoldenImage(golden);
    } catch (e) {
      reason = e instanceof Error ? e.message : String(e);
    }
    if (reason === undefined) table.passed++;
    else {
      table.failed++;
      table.failures.push({ name: golden.name, reason } satisfies ConformanceCase);
    }
  }
  return [table];
};
