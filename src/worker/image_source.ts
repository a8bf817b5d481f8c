// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Base images without a registry: images read from an OCI image layout
 * directory on disk, or from our own image store (whose root is itself an OCI
 * layout, its blobs living in the content store), and imported into the
 * content store blob by blob, each verified against its digest as it is
 * copied. Layers are not unpacked here.
 *
 * @module
 */

import { createHash, fs, fsp, os, path, process, readFileStream } from "../runtime/mod.ts";
import {
  bestMatch,
  defaultPlatform,
  type Descriptor,
  type Digest,
  formatPlatform,
  type ImageConfig,
  type Index,
  isDigest,
  isIndexMediaType,
  layerCompression,
  type Manifest,
  MEDIA_TYPE_DOCKER_CONFIG,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_LAYOUT_HEADER,
  normalizeReference,
  parseImageConfig,
  parseIndex,
  parseManifestOrIndex,
  type Platform,
  platformFromOci,
} from "../oci/mod.ts";
import {
  ANNOTATION_CONTAINERD_NAME,
  ANNOTATION_REF_NAME,
  type ContentStore,
  type LayerRecord,
} from "../store/mod.ts";

/** Annotation marking BuildKit attestation manifests inside an index. */
const ANNOTATION_REFERENCE_TYPE = "vnd.docker.reference.type";

/** Largest manifest, index or config read whole (as containerd's limit for manifests). */
const MAX_METADATA_BLOB = 16 * 1024 * 1024;
/** How deep nested indexes are followed. */
const MAX_INDEX_DEPTH = 8;

/** Thrown when an OCI layout directory is missing, malformed, or lacks a blob. */
export class OciLayoutError extends Error {
  /** The layout directory. */
  readonly dir: string;

  /** Builds the error for the layout at `dir`. */
  constructor(dir: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OciLayoutError";
    this.dir = dir;
  }
}

/** Thrown when a reference or digest names no image in an OCI layout. */
export class OciLayoutRefNotFoundError extends OciLayoutError {
  /** The reference (tag, name or digest) that was looked for. */
  readonly ref: string;
  /** The names the layout does hold (its `ref.name` and containerd annotations). */
  readonly available: readonly string[];

  /** Builds the error for `ref` in the layout at `dir`. */
  constructor(dir: string, ref: string, available: readonly string[]) {
    const have = available.length > 0 ? `; it holds: ${available.join(", ")}` : "";
    super(dir, `image "${ref}" not found in the OCI layout ${dir}${have}`);
    this.name = "OciLayoutRefNotFoundError";
    this.ref = ref;
    this.available = available;
  }
}

/** Thrown when an index has no manifest for the wanted platform. */
export class NoMatchingPlatformError extends Error {
  /** The wanted platform (`os/arch[/variant]`). */
  readonly platform: string;
  /** The platforms the index offers. */
  readonly available: readonly string[];

  /** Builds the error; `what` names the image (ref or digest). */
  constructor(what: string, platform: string, available: readonly string[]) {
    super(
      `no image for platform ${platform} in ${what}; available platforms: ` +
        (available.length > 0 ? available.join(", ") : "none"),
    );
    this.name = "NoMatchingPlatformError";
    this.platform = platform;
    this.available = available;
  }
}

/** Thrown when a blob's bytes do not match the digest or size it is named by. */
export class BlobVerificationError extends Error {
  /** The digest the blob is named by. */
  readonly digest: string;

  /** Builds the error for the blob `digest`; `what` says where it came from. */
  constructor(digest: string, what: string, detail: string, options?: ErrorOptions) {
    super(`blob ${digest} (${what}) failed verification: ${detail}`, options);
    this.name = "BlobVerificationError";
    this.digest = digest;
  }
}

/** Reads a metadata blob (manifest, index, config) whole, verified against its digest. */
export type BlobReader = (descriptor: Descriptor) => Promise<Uint8Array>;

/** A manifest chosen for a platform, with the path that led to it. */
export interface ResolvedManifest {
  /** The descriptor the reference named (a manifest, or an index). */
  target: Descriptor;
  /** The descriptor of the chosen manifest (equal to `target` for a single-platform image). */
  descriptor: Descriptor;
  /** The parsed manifest. */
  manifest: Manifest;
  /** The manifest's exact bytes (what its digest hashes). */
  bytes: Uint8Array;
  /** The platform of the manifest, when its index said so. */
  platform?: Platform;
}

/** Options of {@link OciLayout.resolve} and {@link selectManifest}. */
export interface ResolveManifestOptions {
  /** The platform wanted when the reference names an index. Default: the host's. */
  platform?: Platform;
}

/** An OCI image layout directory opened by {@link openOciLayout}. */
export interface OciLayout {
  /** The layout directory (absolute). */
  readonly dir: string;
  /** The parsed `index.json`. */
  readonly index: Index;
  /** The file holding a blob (which may not exist). */
  blobPath(digest: string): string;
  /** Whether the layout holds a blob. */
  hasBlob(digest: string): boolean;
  /** Reads a small blob whole, verified against the descriptor's digest and size. */
  readBlob(descriptor: Descriptor): Promise<Uint8Array>;
  /** Streams a blob's raw bytes (not verified: the consumer hashes them). */
  openBlob(digest: string): ReadableStream<Uint8Array>;
  /**
   * Finds the top-level descriptor for a tag, full name or digest; with no
   * reference, the layout's only image.
   *
   * @throws {OciLayoutRefNotFoundError} when nothing matches.
   */
  find(ref?: string, options?: ResolveManifestOptions): Promise<Descriptor>;
  /**
   * Finds a reference and follows indexes to the manifest for the platform.
   *
   * @throws {OciLayoutRefNotFoundError} when nothing matches.
   * @throws {NoMatchingPlatformError} when an index lacks the platform.
   */
  resolve(ref?: string, options?: ResolveManifestOptions): Promise<ResolvedManifest>;
}

/** The platform of this host, in OCI naming. */
export function hostPlatform(): Platform {
  return defaultPlatform(process.arch, os.platform());
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Verifies bytes against a descriptor's digest and size. */
function verifyBytes(bytes: Uint8Array, d: Descriptor, what: string): void {
  if (bytes.byteLength !== d.size) {
    throw new BlobVerificationError(
      d.digest,
      what,
      `expected ${d.size} bytes, got ${bytes.byteLength}`,
    );
  }
  if (!d.digest.startsWith("sha256:")) {
    throw new BlobVerificationError(d.digest, what, "only sha256 digests are supported");
  }
  const actual = sha256(bytes);
  if (actual !== d.digest) {
    throw new BlobVerificationError(d.digest, what, `the bytes hash to ${actual}`);
  }
}

function refNames(d: Descriptor): string[] {
  const out: string[] = [];
  const a = d.annotations ?? {};
  if (a[ANNOTATION_REF_NAME]) out.push(a[ANNOTATION_REF_NAME]);
  if (a[ANNOTATION_CONTAINERD_NAME] && a[ANNOTATION_CONTAINERD_NAME] !== a[ANNOTATION_REF_NAME]) {
    out.push(a[ANNOTATION_CONTAINERD_NAME]);
  }
  return out;
}

function tryNormalize(s: string): string | undefined {
  try {
    return normalizeReference(s);
  } catch {
    return undefined;
  }
}

/** The tag of a reference (`busybox:1` → `1`, `busybox` → `latest`), when it parses. */
function tagOf(s: string): string | undefined {
  const n = tryNormalize(s);
  if (n === undefined) return undefined;
  const noDigest = n.split("@")[0]!;
  const colon = noDigest.lastIndexOf(":");
  return colon > noDigest.lastIndexOf("/") ? noDigest.slice(colon + 1) : undefined;
}

/**
 * The digest a reference pins, if any: `sha256:…`, `@sha256:…`, or
 * `name[:tag]@sha256:…`.
 */
function digestOf(ref: string): Digest | undefined {
  if (isDigest(ref)) return ref;
  const at = ref.lastIndexOf("@");
  if (at >= 0 && isDigest(ref.slice(at + 1))) return ref.slice(at + 1) as Digest;
  return undefined;
}

/**
 * Ranks how well a descriptor's names match a wanted reference: 0 exact
 * string, 1 same normalized reference, 2 the annotation is the wanted tag;
 * -1 no match.
 */
function matchRank(d: Descriptor, wanted: string): number {
  const names = refNames(d);
  if (names.includes(wanted)) return 0;
  const nw = tryNormalize(wanted);
  if (nw !== undefined && names.some((n) => tryNormalize(n) === nw)) return 1;
  const refName = d.annotations?.[ANNOTATION_REF_NAME];
  if (refName !== undefined && !refName.includes("/") && !refName.includes(":")) {
    const tag = tagOf(wanted);
    if (tag !== undefined && wanted.includes(":") && refName === tag) return 2;
  }
  return -1;
}

function uniqueByDigest(ds: readonly Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  const out: Descriptor[] = [];
  for (const d of ds) {
    if (seen.has(d.digest)) continue;
    seen.add(d.digest);
    out.push(d);
  }
  return out;
}

/** Reads a JSON file as bytes, with an error naming the layout when it is missing. */
function readLayoutFile(dir: string, name: string): Uint8Array {
  try {
    return fs.readFileSync(path.join(dir, name));
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new OciLayoutError(dir, `${dir} is not an OCI image layout: it has no ${name}`, {
        cause: e,
      });
    }
    throw e;
  }
}

function checkLayoutHeader(dir: string): void {
  const bytes = readLayoutFile(dir, "oci-layout");
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new OciLayoutError(dir, `invalid oci-layout file in ${dir}: not JSON`, { cause: e });
  }
  const version = typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>).imageLayoutVersion
    : undefined;
  if (typeof version !== "string") {
    throw new OciLayoutError(
      dir,
      `invalid oci-layout file in ${dir}: imageLayoutVersion must be a string ` +
        `(${MEDIA_TYPE_OCI_LAYOUT_HEADER})`,
    );
  }
  if (!/^1\.\d+\.\d+$/.test(version)) {
    throw new OciLayoutError(
      dir,
      `unsupported OCI layout version ${JSON.stringify(version)} in ${dir} (want 1.x.y)`,
    );
  }
}

/**
 * Opens an OCI image layout directory: checks `oci-layout`, parses and
 * validates `index.json`.
 *
 * @throws {OciLayoutError} when the directory is not a layout.
 * @throws {OciValidationError} when index.json is malformed.
 *
 * @example
 * ```ts ignore
 * import { openOciLayout } from "./image_source.ts";
 * const layout = await openOciLayout("/tmp/busybox-layout");
 * const { descriptor, manifest } = await layout.resolve("busybox:latest");
 * console.log(descriptor.digest, manifest.layers.length);
 * ```
 */
export function openOciLayout(dir: string): Promise<OciLayout> {
  const abs = path.resolve(dir);
  try {
    checkLayoutHeader(abs);
    const index = parseIndex(readLayoutFile(abs, "index.json"));
    return Promise.resolve(new FileOciLayout(abs, index));
  } catch (e) {
    return Promise.reject(e);
  }
}

class FileOciLayout implements OciLayout {
  readonly dir: string;
  readonly index: Index;

  constructor(dir: string, index: Index) {
    this.dir = dir;
    this.index = index;
  }

  blobPath(digest: string): string {
    const i = digest.indexOf(":");
    if (i <= 0 || !isDigest(digest)) {
      throw new OciLayoutError(this.dir, `invalid digest ${JSON.stringify(digest)}`);
    }
    return path.join(this.dir, "blobs", digest.slice(0, i), digest.slice(i + 1));
  }

  hasBlob(digest: string): boolean {
    return fs.existsSync(this.blobPath(digest));
  }

  async readBlob(d: Descriptor): Promise<Uint8Array> {
    const file = this.blobPath(d.digest);
    if (d.size > MAX_METADATA_BLOB) {
      throw new OciLayoutError(this.dir, `blob ${d.digest} is too large to read whole`);
    }
    let bytes: Uint8Array;
    try {
      bytes = await fsp.readFile(file);
    } catch (e) {
      throw this.#missing(d.digest, e);
    }
    verifyBytes(bytes, d, `in OCI layout ${this.dir}`);
    return bytes;
  }

  openBlob(digest: string): ReadableStream<Uint8Array> {
    const file = this.blobPath(digest);
    if (!fs.existsSync(file)) throw this.#missing(digest, undefined);
    return readFileStream(file);
  }

  #missing(digest: string, cause: unknown): Error {
    const code = (cause as { code?: string } | undefined)?.code;
    if (cause !== undefined && code !== "ENOENT" && code !== "ENOTDIR") return cause as Error;
    return new OciLayoutError(
      this.dir,
      `blob ${digest} is missing from the OCI layout ${this.dir}`,
      cause === undefined ? undefined : { cause },
    );
  }

  #available(): string[] {
    const names = this.index.manifests.flatMap((d) => refNames(d));
    return [...new Set(names)].sort();
  }

  async find(ref?: string, options: ResolveManifestOptions = {}): Promise<Descriptor> {
    const all = this.index.manifests;
    if (ref === undefined || ref === "") {
      const unique = uniqueByDigest(all);
      if (unique.length === 1) return unique[0]!;
      if (unique.length === 0) {
        throw new OciLayoutError(this.dir, `the OCI layout ${this.dir} holds no image`);
      }
      const names = this.#available();
      throw new OciLayoutError(
        this.dir,
        `the OCI layout ${this.dir} holds ${unique.length} images; name one` +
          (names.length > 0 ? ` of: ${names.join(", ")}` : " by digest"),
      );
    }
    const digest = digestOf(ref);
    if (digest !== undefined) {
      const hit = all.find((d) => d.digest === digest);
      if (hit !== undefined) return hit;
      // Not listed in index.json (e.g. a platform manifest of a listed index): sniff the blob.
      if (this.hasBlob(digest)) {
        const bytes = await fsp.readFile(this.blobPath(digest));
        const d0 = { mediaType: "", digest, size: bytes.byteLength } as Descriptor;
        verifyBytes(bytes, d0, `in OCI layout ${this.dir}`);
        const parsed = parseManifestOrIndex(bytes);
        const mediaType = parsed.kind === "manifest"
          ? parsed.manifest.mediaType ?? "application/vnd.oci.image.manifest.v1+json"
          : parsed.index.mediaType ?? "application/vnd.oci.image.index.v1+json";
        return { mediaType, digest, size: bytes.byteLength };
      }
      throw new OciLayoutRefNotFoundError(this.dir, ref, this.#available());
    }
    let best = Infinity;
    let hits: Descriptor[] = [];
    for (const d of all) {
      const r = matchRank(d, ref);
      if (r < 0 || r > best) continue;
      if (r < best) {
        best = r;
        hits = [];
      }
      hits.push(d);
    }
    hits = uniqueByDigest(hits);
    if (hits.length === 0) throw new OciLayoutRefNotFoundError(this.dir, ref, this.#available());
    if (hits.length === 1) return hits[0]!;
    // Several images under one name: per-platform manifests listed at the top level.
    if (hits.every((d) => d.platform !== undefined)) {
      const want = options.platform ?? hostPlatform();
      const pick = bestMatch(want, hits.map((d) => ({ ...platformFromOci(d.platform!), d })));
      if (pick === undefined) {
        throw new NoMatchingPlatformError(
          `image "${ref}" of the OCI layout ${this.dir}`,
          formatPlatform(want),
          hits.map((d) => formatPlatform(platformFromOci(d.platform!))),
        );
      }
      return pick.d;
    }
    throw new OciLayoutError(
      this.dir,
      `image "${ref}" is ambiguous in the OCI layout ${this.dir}: it names ` +
        hits.map((d) => d.digest).join(", "),
    );
  }

  async resolve(ref?: string, options: ResolveManifestOptions = {}): Promise<ResolvedManifest> {
    const target = await this.find(ref, options);
    const what = `${ref !== undefined && ref !== "" ? `"${ref}"` : target.digest} in the ` +
      `OCI layout ${this.dir}`;
    return await selectManifest(target, (d) => this.readBlob(d), { ...options, what });
  }
}

function isAttestation(d: Descriptor): boolean {
  return d.annotations?.[ANNOTATION_REFERENCE_TYPE] === "attestation-manifest" ||
    (d.platform?.os === "unknown" && d.platform.architecture === "unknown");
}

/** Options of {@link selectManifest}. */
export interface SelectManifestOptions extends ResolveManifestOptions {
  /** What the image is, for error messages (e.g. its reference). */
  what?: string;
}

/**
 * Follows a manifest or index descriptor to the manifest for a platform, the
 * way containerd picks one (`platforms.Only`: exact match first, then the
 * best compatible fallback; attestation manifests never match). A manifest
 * listed without a platform is matched by its config's os/architecture.
 * Every blob is read through `read` (which verifies it).
 *
 * @throws {NoMatchingPlatformError} listing the platforms the index offers.
 *
 * @example
 * ```ts ignore
 * import { openOciLayout, selectManifest } from "./image_source.ts";
 * const layout = await openOciLayout("/tmp/layout");
 * const m = await selectManifest(layout.index.manifests[0]!, (d) => layout.readBlob(d), {
 *   platform: { os: "linux", architecture: "arm64" },
 * });
 * console.log(m.descriptor.digest);
 * ```
 */
export async function selectManifest(
  target: Descriptor,
  read: BlobReader,
  options: SelectManifestOptions = {},
): Promise<ResolvedManifest> {
  const want = options.platform ?? hostPlatform();
  const what = options.what ?? target.digest;
  let current = target;
  let platform: Platform | undefined = target.platform !== undefined
    ? platformFromOci(target.platform)
    : undefined;
  for (let depth = 0; depth <= MAX_INDEX_DEPTH; depth++) {
    const bytes = await read(current);
    const parsed = parseManifestOrIndex(bytes);
    if (parsed.kind === "manifest") {
      const out: ResolvedManifest = {
        target,
        descriptor: current,
        manifest: parsed.manifest,
        bytes,
      };
      if (platform !== undefined) out.platform = platform;
      return out;
    }
    const next = await pickFromIndex(parsed.index.manifests, read, want, `${what}`);
    current = next.descriptor;
    platform = next.platform;
  }
  throw new Error(`${what}: indexes nested more than ${MAX_INDEX_DEPTH} deep`);
}

async function pickFromIndex(
  manifests: readonly Descriptor[],
  read: BlobReader,
  want: Platform,
  what: string,
): Promise<{ descriptor: Descriptor; platform: Platform }> {
  const candidates: Array<Platform & { d: Descriptor }> = [];
  for (const d of manifests) {
    if (isAttestation(d)) continue;
    if (d.platform !== undefined) {
      candidates.push({ ...platformFromOci(d.platform), d });
      continue;
    }
    if (isIndexMediaType(d.mediaType)) continue;
    // No platform in the index entry: read the manifest's config to learn it.
    try {
      const m = parseManifestOrIndex(await read(d));
      if (m.kind !== "manifest") continue;
      const cfg = parseImageConfig(await read(m.manifest.config));
      const p: Platform = { os: cfg.os, architecture: cfg.architecture };
      if (cfg.variant) p.variant = cfg.variant;
      candidates.push({ ...p, d });
    } catch {
      // An entry we cannot read is not a candidate.
    }
  }
  const pick = bestMatch(want, candidates);
  if (pick === undefined) {
    const nested = manifests.filter((d) =>
      d.platform === undefined && isIndexMediaType(d.mediaType)
    );
    for (const d of nested) {
      try {
        const inner = parseManifestOrIndex(await read(d));
        if (inner.kind === "index") {
          return await pickFromIndex(inner.index.manifests, read, want, what);
        }
      } catch (e) {
        if (!(e instanceof NoMatchingPlatformError)) throw e;
      }
    }
    throw new NoMatchingPlatformError(
      what,
      formatPlatform(want),
      [...new Set(candidates.map((c) => formatPlatform(c)))],
    );
  }
  const { d, ...platform } = pick;
  return { descriptor: d, platform };
}

/**
 * The part of our image store this module needs: tags (full normalized
 * references) to descriptors of manifests or indexes whose blobs live in the
 * content store.
 */
export interface ImageLookup {
  /** The descriptor tagged `ref` (normalized), or undefined when there is none. */
  resolve(ref: string): Promise<TaggedDescriptor | undefined> | TaggedDescriptor | undefined;
}

/** A descriptor as an {@link ImageLookup} returns it (digests as plain strings). */
export interface TaggedDescriptor {
  /** Media type of the manifest or index. */
  mediaType: string;
  /** Its digest. */
  digest: string;
  /** Its size. */
  size: number;
  /** Its annotations. */
  annotations?: Record<string, string>;
}

/** A store holding both the content and the image tags (what `openStore()` returns). */
export interface StoreWithImages {
  /** Blobs by digest. */
  readonly content: ContentStore;
  /** Tags. */
  readonly images: ImageLookup;
}

/** Splits a store argument into its content store and (maybe) its image lookup. */
export function splitStore(
  store: ContentStore | StoreWithImages,
  images?: ImageLookup,
): { content: ContentStore; images: ImageLookup | undefined } {
  if ("content" in store && "images" in store && !("ingest" in store)) {
    return { content: store.content, images: images ?? store.images };
  }
  return { content: store as ContentStore, images };
}

/** Where {@link importImage} takes an image from. */
export type ImageSourceSpec =
  | {
    kind: "oci-layout";
    /** The layout directory. */
    dir: string;
    /** Tag, full name or digest; omitted for a layout holding one image. */
    ref?: string;
  }
  | {
    kind: "image-store";
    /** Image reference (normalized here), optionally pinned with `@sha256:…`. */
    ref: string;
  };

/** Options of {@link importImage}. */
export interface ImportImageOptions {
  /** Where the image comes from. */
  source: ImageSourceSpec;
  /** The platform wanted when the image is an index. Default: the host's. */
  platform?: Platform;
  /**
   * The content store receiving the blobs, or the whole store (`openStore()`:
   * its `content` and `images`).
   */
  store: ContentStore | StoreWithImages;
  /** Our image store (required for `image-store` sources unless `store` has one). */
  images?: ImageLookup;
}

/** An image whose blobs are all in the content store. */
export interface ImportedImage {
  /** Digest of the platform manifest. */
  manifestDigest: Digest;
  /** Media type of the manifest. */
  manifestMediaType: string;
  /** Size of the manifest blob. */
  manifestSize: number;
  /** Digest of the descriptor the reference named (an index for multi-platform images). */
  targetDigest: Digest;
  /** The parsed manifest. */
  manifest: Manifest;
  /** Digest of the image config blob. */
  configDigest: Digest;
  /** The parsed image config. */
  config: ImageConfig;
  /** The layers, base first, each with its diffID from the config. */
  layers: LayerRecord[];
  /** The manifest's platform, from its index entry or else the config. */
  platform: Platform;
}

/** Thrown when an image is in neither the image store nor (in time) a registry. */
export class ImageNotFoundError extends Error {
  /** The normalized reference. */
  readonly ref: string;

  /** Builds the error for the normalized reference `ref`. */
  constructor(ref: string, options?: ErrorOptions) {
    super(
      `image ${ref} is not in the local image store, and pulling images from a registry ` +
        `is not implemented yet (import it into the store, or use --build-context ` +
        `NAME=oci-layout:///PATH)`,
      options,
    );
    this.name = "ImageNotFoundError";
    this.ref = ref;
  }
}

function isConfigMediaType(mt: string): boolean {
  return mt === MEDIA_TYPE_OCI_CONFIG || mt === MEDIA_TYPE_DOCKER_CONFIG;
}

/** Builds the layer records of a manifest from the config's diff IDs. */
function layerRecords(manifest: Manifest, config: ImageConfig, what: string): LayerRecord[] {
  const diffIds = config.rootfs.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new Error(
      `${what}: the manifest lists ${manifest.layers.length} layers but the config has ` +
        `${diffIds.length} diff_ids`,
    );
  }
  return manifest.layers.map((l, i) => {
    if (layerCompression(l.mediaType) === undefined) {
      throw new Error(`${what}: layer ${l.digest} has an unsupported media type ${l.mediaType}`);
    }
    const rec: LayerRecord = {
      mediaType: l.mediaType,
      digest: l.digest,
      size: l.size,
      diffId: diffIds[i]!,
    };
    if (l.annotations && Object.keys(l.annotations).length > 0) {
      rec.annotations = { ...l.annotations };
    }
    return rec;
  });
}

function configPlatform(config: ImageConfig): Platform {
  const p: Platform = { os: config.os, architecture: config.architecture };
  if (config.variant) p.variant = config.variant;
  return p;
}

/**
 * Copies one blob into the content store, verified while copying; a blob
 * already present is skipped.
 */
async function copyBlob(
  store: ContentStore,
  d: Descriptor,
  open: () => ReadableStream<Uint8Array>,
  what: string,
): Promise<void> {
  if (await store.has(d.digest)) return;
  try {
    await store.ingest(open(), { digest: d.digest, size: d.size });
  } catch (e) {
    const actual = (e as { actual?: unknown }).actual;
    const detail = typeof actual === "string"
      ? `the bytes hash to ${actual}`
      : typeof actual === "number"
      ? `expected ${d.size} bytes, got ${actual}`
      : (e as Error).message;
    throw new BlobVerificationError(d.digest, what, detail, { cause: e });
  }
}

async function storeBytes(store: ContentStore, d: Descriptor, bytes: Uint8Array): Promise<void> {
  if (await store.has(d.digest)) return;
  await store.ingest(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(), {
    digest: d.digest,
    size: d.size,
  });
}

/**
 * Reads a small blob from the content store, verified against the descriptor
 * (digest and size).
 */
function storeReader(store: ContentStore): BlobReader {
  return async (d) => {
    const bytes = await store.readBytes(d.digest);
    verifyBytes(bytes, d, "in the content store");
    return bytes;
  };
}

/**
 * Imports an image into the content store: resolves the reference (and the
 * platform, for an index), then copies the layers, the config and the
 * manifest, each verified against its digest while it is copied (blobs
 * already present are skipped). Layers are not unpacked.
 *
 * @throws {OciLayoutRefNotFoundError} / {@link ImageNotFoundError} when the image is unknown.
 * @throws {NoMatchingPlatformError} when an index lacks the platform.
 * @throws {BlobVerificationError} naming a blob whose bytes do not match its digest.
 *
 * @example
 * ```ts ignore
 * import { importImage } from "./image_source.ts";
 * import { FileContentStore } from "../store/mod.ts";
 * const img = await importImage({
 *   source: { kind: "oci-layout", dir: "/tmp/busybox-layout", ref: "busybox:latest" },
 *   platform: { os: "linux", architecture: "amd64" },
 *   store: new FileContentStore("/tmp/store"),
 * });
 * console.log(img.manifestDigest, img.layers.length);
 * ```
 */
export async function importImage(options: ImportImageOptions): Promise<ImportedImage> {
  const { source } = options;
  const { content: store, images } = splitStore(options.store, options.images);
  const platform = options.platform ?? hostPlatform();
  if (source.kind === "oci-layout") {
    const layout = await openOciLayout(source.dir);
    const resolved = await layout.resolve(source.ref, { platform });
    const what = `OCI layout ${layout.dir}`;
    const config = await readConfig(resolved, (d) => layout.readBlob(d), what);
    const layers = layerRecords(resolved.manifest, config, `image in the ${what}`);
    for (const l of resolved.manifest.layers) {
      if (!layout.hasBlob(l.digest)) {
        throw new OciLayoutError(layout.dir, `layer ${l.digest} is missing from the ${what}`);
      }
      const size = fs.statSync(layout.blobPath(l.digest)).size;
      if (size !== l.size) {
        throw new BlobVerificationError(
          l.digest,
          `layer in the ${what}`,
          `expected ${l.size} bytes, the file has ${size}`,
        );
      }
      await copyBlob(store, l, () => layout.openBlob(l.digest), `layer in the ${what}`);
    }
    await storeBytes(store, resolved.manifest.config, config.bytes);
    await storeBytes(store, resolved.descriptor, resolved.bytes);
    return imported(resolved, config, layers);
  }
  if (images === undefined) {
    throw new TypeError("importImage(): an image-store source needs the `images` option");
  }
  const ref = normalizeImageRef(source.ref);
  const target = await lookupImage(images, store, ref);
  const read = storeReader(store);
  const resolved = await selectManifest(target, read, { platform, what: ref });
  const config = await readConfig(resolved, read, `image ${ref}`);
  const layers = layerRecords(resolved.manifest, config, `image ${ref}`);
  for (const l of resolved.manifest.layers) {
    if (!(await store.has(l.digest))) {
      throw new Error(`image ${ref}: layer ${l.digest} is missing from the content store`);
    }
  }
  return imported(resolved, config, layers);
}

async function readConfig(
  resolved: ResolvedManifest,
  read: BlobReader,
  what: string,
): Promise<ImageConfig & { bytes: Uint8Array }> {
  const cd = resolved.manifest.config;
  if (!isConfigMediaType(cd.mediaType)) {
    throw new Error(
      `${what}: manifest ${resolved.descriptor.digest} is not a container image ` +
        `(config media type ${cd.mediaType})`,
    );
  }
  const bytes = await read(cd);
  const config = parseImageConfig(bytes);
  Object.defineProperty(config, "bytes", { value: bytes, enumerable: false });
  return config as ImageConfig & { bytes: Uint8Array };
}

function imported(
  resolved: ResolvedManifest,
  config: ImageConfig,
  layers: LayerRecord[],
): ImportedImage {
  return {
    manifestDigest: resolved.descriptor.digest,
    manifestMediaType: resolved.manifest.mediaType ?? resolved.descriptor.mediaType,
    manifestSize: resolved.bytes.byteLength,
    targetDigest: resolved.target.digest,
    manifest: resolved.manifest,
    configDigest: resolved.manifest.config.digest,
    config,
    layers,
    platform: resolved.platform ?? configPlatform(config),
  };
}

/**
 * Normalizes an image reference, dropping a `docker-image://` prefix:
 * `busybox` → `docker.io/library/busybox:latest`.
 */
export function normalizeImageRef(ref: string): string {
  return normalizeReference(ref.replace(/^docker-image:\/\//, ""));
}

/**
 * Looks a normalized reference up in the image store. A reference pinned with
 * a digest is also found by that digest alone when the manifest is in the
 * content store (the tag may have moved or never been recorded).
 *
 * @throws {ImageNotFoundError} when the image is in neither.
 */
export async function lookupImage(
  images: ImageLookup,
  store: ContentStore,
  ref: string,
): Promise<Descriptor> {
  const hit = await images.resolve(ref);
  if (hit !== undefined && hit !== null) return asDescriptor(hit, ref);
  const digest = digestOf(ref);
  if (digest !== undefined) {
    const at = ref.lastIndexOf("@");
    const name = ref.slice(0, at);
    if (name !== "") {
      const byName = await images.resolve(name);
      if (byName?.digest === digest) return asDescriptor(byName, ref);
    }
    if (await store.has(digest)) {
      const bytes = await store.readBytes(digest);
      const parsed = parseManifestOrIndex(bytes);
      const mediaType = parsed.kind === "manifest"
        ? parsed.manifest.mediaType ?? "application/vnd.oci.image.manifest.v1+json"
        : parsed.index.mediaType ?? "application/vnd.oci.image.index.v1+json";
      return { mediaType, digest, size: bytes.byteLength };
    }
  }
  throw new ImageNotFoundError(ref);
}

function asDescriptor(t: TaggedDescriptor, ref: string): Descriptor {
  if (!isDigest(t.digest)) {
    throw new Error(`image ${ref}: the image store holds an invalid digest ${t.digest}`);
  }
  const d: Descriptor = { mediaType: t.mediaType, digest: t.digest, size: t.size };
  if (t.annotations !== undefined) d.annotations = { ...t.annotations };
  return d;
}
