// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The `docker` exporter (`-o type=docker,dest=FILE.tar`): a tarball that
 * `docker load` reads. We write the layout docker ≥ 25 `docker save` writes
 * (and BuildKit's docker exporter too): an OCI image layout (`oci-layout`,
 * `index.json`, `blobs/sha256/*`) plus the legacy `manifest.json`
 * (`[{Config, RepoTags, Layers}]`) whose paths point into `blobs/`, so both
 * old and new loaders accept it. Layers stay as stored (gzip is fine for
 * `docker load`). Written atomically like the oci tarball.
 *
 * @module
 */

import { type Descriptor, isIndexMediaType } from "../oci/mod.ts";
import { createTarStream } from "../archive/mod.ts";
import type { ContentStore } from "../store/mod.ts";
import { ExportError } from "./errors.ts";
import {
  dockerManifestJson,
  layoutTarEntries,
  normalizeNames,
  serializeLayoutIndex,
  tarIndexEntries,
  type WalkedImage,
  walkImage,
} from "./layout.ts";
import { type ExportResult, writeTar } from "./oci_layout.ts";

/** Options of {@linkcode exportDockerArchive}. */
export interface ExportDockerArchiveOptions {
  /** The store holding every blob of the image. */
  store: ContentStore;
  /** The image manifest to export (an index is accepted only if it holds one image). */
  descriptor: Descriptor;
  /** The file to write, or `-` for stdout. */
  dest: string;
  /** Image names (`-t`); become `RepoTags` (familiar form) and `index.json` name annotations. */
  names?: readonly string[];
}

function pickImage(images: readonly WalkedImage[], root: Descriptor): WalkedImage {
  const real = images.filter((i) =>
    !(i.descriptor.platform?.os === "unknown" && i.descriptor.platform.architecture === "unknown")
  );
  if (isIndexMediaType(root.mediaType) && real.length !== 1) {
    throw new ExportError("docker exporter does not currently support exporting manifest lists");
  }
  const image = real[0];
  if (image === undefined) throw new ExportError(`no image manifest found in ${root.digest}`);
  return image;
}

/**
 * Exports one image from the store as a `docker load` tarball.
 *
 * @throws {ExportError} for a multi-platform index, a missing blob, a digest
 * mismatch or an I/O error; an existing `dest` is left untouched on failure.
 *
 * @example
 * ```ts ignore
 * import { exportDockerArchive } from "./docker_archive.ts";
 * await exportDockerArchive({ store, descriptor, dest: "image.tar", names: ["app:1"] });
 * ```
 */
export async function exportDockerArchive(
  options: ExportDockerArchiveOptions,
): Promise<ExportResult> {
  const { stream, result } = await dockerArchiveStream(options);
  await writeTar(options.dest, stream);
  return result;
}

/** The `docker load` tarball of an image as a stream (for a file, stdout or a daemon). */
export async function dockerArchiveStream(
  options: Omit<ExportDockerArchiveOptions, "dest">,
): Promise<{ stream: ReadableStream<Uint8Array>; result: ExportResult }> {
  const names = normalizeNames(options.names ?? []);
  const { blobs, images } = await walkImage(options.store, options.descriptor);
  const image = pickImage(images, options.descriptor);
  const index = serializeLayoutIndex(tarIndexEntries(options.descriptor, names));
  const entries = layoutTarEntries(options.store, blobs, {
    index,
    dockerManifest: dockerManifestJson(image, names),
  });
  return {
    stream: createTarStream(entries),
    result: { descriptor: options.descriptor, names, blobs: blobs.length },
  };
}
