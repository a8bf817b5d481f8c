// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * What the OCI layout and docker archive exporters share: walking an image
 * (index → manifests → config and layers) to the set of blobs it needs, the
 * `index.json` entries with their name annotations, and the tar entries of a
 * layout in containerd's order.
 *
 * BuildKit reference: `exporter/oci/export.go` and containerd's
 * `core/images/archive/exporter.go` (tar records sorted by name, blobs 0444,
 * `index.json` 0644, `oci-layout` 0444, directories 0755).
 *
 * @module
 */

import {
  type Descriptor,
  familiarString,
  isIndexMediaType,
  isManifestMediaType,
  normalizeReference,
  parseIndex,
  parseManifest,
} from "../oci/mod.ts";
import type { TarWriterEntry } from "../archive/mod.ts";
import type { ContentStore } from "../store/mod.ts";
import {
  type BlobRef,
  byteCompare,
  digestHex,
  errorText,
  goJsonText,
  verifiedBlob,
} from "./_io.ts";
import { ExportError } from "./errors.ts";

/** Annotation with the full image name (containerd). */
export const IMAGE_NAME_ANNOTATION = "io.containerd.image.name";
/** Annotation with the OCI reference name (the tag part only). */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
/** The `oci-layout` file's bytes. */
export const OCI_LAYOUT_FILE = '{"imageLayoutVersion":"1.0.0"}';

/** One image found while walking: its manifest descriptor and parsed content. */
export interface WalkedImage {
  /** Descriptor of the manifest. */
  descriptor: Descriptor;
  /** Config blob digest. */
  config: string;
  /** Layer blob digests, base first. */
  layers: string[];
}

/** The blobs an image or index needs, in walk order (deduplicated). */
export interface WalkResult {
  /** Every blob, the root first. */
  blobs: BlobRef[];
  /** The image manifests found (index children in order, or the root manifest). */
  images: WalkedImage[];
}

/**
 * Walks a manifest or index in the store and lists every blob it references.
 *
 * @throws {ExportError} for a missing or unparsable manifest/index, or an
 * unknown root media type.
 */
export async function walkImage(store: ContentStore, root: Descriptor): Promise<WalkResult> {
  const blobs: BlobRef[] = [];
  const seen = new Set<string>();
  const images: WalkedImage[] = [];
  const add = (d: { digest: string; size: number }) => {
    if (seen.has(d.digest)) return false;
    digestHex(d.digest);
    seen.add(d.digest);
    blobs.push({ digest: d.digest, size: d.size });
    return true;
  };
  const read = async (d: Descriptor): Promise<Uint8Array> => {
    try {
      const bytes = await store.readBytes(d.digest);
      if (bytes.length !== d.size) {
        throw new ExportError(
          `blob ${d.digest} has ${bytes.length} bytes, its descriptor says ${d.size}`,
        );
      }
      return bytes;
    } catch (e) {
      if (e instanceof ExportError) throw e;
      throw new ExportError(`failed to read ${d.mediaType} ${d.digest}: ${errorText(e)}`, {
        cause: e,
      });
    }
  };
  const visit = async (d: Descriptor, depth: number): Promise<void> => {
    if (depth > 8) throw new ExportError(`index nesting too deep at ${d.digest}`);
    if (!add(d)) return;
    if (isManifestMediaType(d.mediaType)) {
      const manifest = parseManifest(await read(d));
      add(manifest.config);
      for (const layer of manifest.layers) add(layer);
      images.push({
        descriptor: d,
        config: manifest.config.digest,
        layers: manifest.layers.map((l) => l.digest),
      });
    } else if (isIndexMediaType(d.mediaType)) {
      const index = parseIndex(await read(d));
      for (const child of index.manifests) await visit(child, depth + 1);
    } else if (depth === 0) {
      throw new ExportError(`only manifests and indexes may be exported, not ${d.mediaType}`);
    }
  };
  await visit(root, 0);
  return { blobs, images };
}

/**
 * Normalizes `-t`/`name=` values as BuildKit's oci exporter does: fully
 * qualified, `:latest` added when neither tag nor digest is given. Empty
 * names are dropped; names may also be comma-separated.
 *
 * @example
 * ```ts
 * import { normalizeNames } from "./layout.ts";
 * console.assert(normalizeNames(["foo,bar:1"]).join() === "docker.io/library/foo:latest,docker.io/library/bar:1");
 * ```
 */
export function normalizeNames(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const joined of names) {
    for (const name of joined.split(",")) {
      if (name === "") continue;
      try {
        out.push(normalizeReference(name));
      } catch (e) {
        throw new ExportError(`failed to parse ${name}: ${errorText(e)}`, { cause: e });
      }
    }
  }
  return out;
}

/**
 * The OCI reference name for an image name: the part after the repository
 * (the tag, or `tag@digest`), as containerd's `reference.Parse(...).Object`.
 * By-digest names keep the whole name when `keepDigestName` is set (what the
 * tarball exporter does).
 *
 * @example
 * ```ts
 * import { ociReferenceName } from "./layout.ts";
 * console.assert(ociReferenceName("docker.io/library/foo:v1") === "v1");
 * console.assert(ociReferenceName("localhost:5000/foo:v2") === "v2");
 * ```
 */
export function ociReferenceName(name: string, options: { keepDigestName?: boolean } = {}): string {
  const slash = name.indexOf("/");
  const rest = slash < 0 ? name : name.slice(slash);
  const m = /[:@]/.exec(rest);
  if (slash < 0 || m === null) return name;
  let object = rest.slice(m.index);
  if (object.startsWith(":")) object = object.slice(1);
  if (object === "") return name;
  if (object.startsWith("@") && options.keepDigestName) return name;
  return object;
}

/** `index.json` entries for a tarball export: one per name (or the bare descriptor). */
export function tarIndexEntries(descriptor: Descriptor, names: readonly string[]): Descriptor[] {
  if (names.length === 0) return [descriptor];
  return names.map((name) => ({
    ...descriptor,
    annotations: {
      ...descriptor.annotations,
      [IMAGE_NAME_ANNOTATION]: name,
      [REF_NAME_ANNOTATION]: ociReferenceName(name, { keepDigestName: true }),
    },
  }));
}

/** Serializes an `index.json` as Go's `json.Marshal` of an OCI index. */
export function serializeLayoutIndex(manifests: readonly Descriptor[]): string {
  return goJsonText({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: manifests.map(goDescriptor),
  });
}

/** A descriptor in Go struct order with sorted annotations (for `json.Marshal`). */
export function goDescriptor(d: Descriptor): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.urls && d.urls.length > 0) out.urls = d.urls;
  if (d.annotations && Object.keys(d.annotations).length > 0) {
    const sorted: Record<string, string> = {};
    for (const k of Object.keys(d.annotations).sort(byteCompare)) sorted[k] = d.annotations[k]!;
    out.annotations = sorted;
  }
  if (d.data) out.data = d.data;
  if (d.platform) {
    const p = d.platform;
    const platform: Record<string, unknown> = { architecture: p.architecture, os: p.os };
    if (p["os.version"]) platform["os.version"] = p["os.version"];
    if (p["os.features"] && p["os.features"].length > 0) platform["os.features"] = p["os.features"];
    if (p.variant) platform.variant = p.variant;
    if (p.features && p.features.length > 0) platform.features = p.features;
    out.platform = platform;
  }
  if (d.artifactType) out.artifactType = d.artifactType;
  return out;
}

/** The docker `manifest.json` (`[{Config, RepoTags, Layers}]`) for one image. */
export function dockerManifestJson(image: WalkedImage, names: readonly string[]): string {
  const blobPath = (digest: string) => `blobs/sha256/${digestHex(digest)}`;
  const tags = names.map((n) => familiarString(n));
  return goJsonText([{
    Config: blobPath(image.config),
    RepoTags: tags.length > 0 ? tags : null,
    Layers: image.layers.length > 0 ? image.layers.map(blobPath) : null,
  }]);
}

/** Options of {@linkcode layoutTarEntries}. */
export interface LayoutTarOptions {
  /** `index.json` content. */
  index: string;
  /** `manifest.json` content (docker archives only). */
  dockerManifest?: string;
}

/**
 * The tar entries of an OCI layout, sorted by name as containerd writes them:
 * `blobs/`, `blobs/sha256/`, `blobs/sha256/<hex>`…, `index.json`,
 * `manifest.json` (docker only), `oci-layout`. Blob bodies stream from the
 * store and are verified against their digests as they are read.
 */
export function layoutTarEntries(
  store: ContentStore,
  blobs: readonly BlobRef[],
  options: LayoutTarOptions,
): TarWriterEntry[] {
  const enc = new TextEncoder();
  const entries: TarWriterEntry[] = [];
  const file = (name: string, mode: number, text: string): TarWriterEntry => {
    const body = enc.encode(text);
    return { header: { name, type: "file", mode, size: body.length, mtime: 0 }, body };
  };
  entries.push(file("oci-layout", 0o444, OCI_LAYOUT_FILE));
  entries.push(file("index.json", 0o644, options.index));
  if (options.dockerManifest !== undefined) {
    entries.push(file("manifest.json", 0o644, options.dockerManifest));
  }
  if (blobs.length > 0) {
    entries.push({ header: { name: "blobs/", type: "directory", mode: 0o755, mtime: 0 } });
    entries.push({ header: { name: "blobs/sha256/", type: "directory", mode: 0o755, mtime: 0 } });
  }
  for (const blob of blobs) {
    entries.push({
      header: {
        name: `blobs/sha256/${digestHex(blob.digest)}`,
        type: "file",
        mode: 0o444,
        size: blob.size,
        mtime: 0,
      },
      body: { [Symbol.asyncIterator]: () => verifiedBlob(store, blob) },
    });
  }
  entries.sort((a, b) => byteCompare(a.header.name, b.header.name));
  return entries.filter((e, i) => i === 0 || entries[i - 1]!.header.name !== e.header.name);
}
