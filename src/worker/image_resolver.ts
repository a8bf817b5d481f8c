// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The frontend's {@linkcode ImageResolver} over local images: `docker-image://`
 * references are looked up in our image store, `oci-layout://` references in
 * their layout directory. Registries come later: an image found in neither
 * place fails with `ImageNotFoundError` (from image_source.ts).
 *
 * @module
 */

import { path, process } from "../runtime/mod.ts";
import {
  type Digest,
  InvalidReferenceError,
  parseImageConfig,
  parseReference,
  type Platform,
} from "../oci/mod.ts";
import type { ImageResolver, NamedContext, ResolvedImage, ResolveMode } from "../frontend/mod.ts";
import { parseNamedContext } from "../frontend/mod.ts";
import type { ContentStore } from "../store/mod.ts";
import {
  type ImageLookup,
  ImageNotFoundError,
  lookupImage,
  normalizeImageRef,
  type OciLayout,
  OciLayoutError,
  openOciLayout,
  selectManifest,
  splitStore,
  type StoreWithImages,
} from "./image_source.ts";

/** The pieces of an `oci-layout://store[:tag][@digest]` reference. */
export interface OciLayoutRef {
  /** The store: a layout directory path, or a store name mapped to one. */
  store: string;
  /** Tag inside the layout, when given. */
  tag?: string;
  /** Digest of a manifest or index, when given. */
  digest?: Digest;
}

/**
 * Parses `oci-layout://store[:tag][@sha256:…]` (the scheme is optional). A
 * colon after the last `/` of the store starts the tag.
 *
 * @throws {TypeError} when the store part is empty or the digest is malformed.
 *
 * @example
 * ```ts
 * import { parseOciLayoutRef } from "./image_resolver.ts";
 * const r = parseOciLayoutRef("oci-layout:///srv/layouts/app:v1");
 * console.assert(r.store === "/srv/layouts/app" && r.tag === "v1");
 * ```
 */
export function parseOciLayoutRef(ref: string): OciLayoutRef {
  let spec = ref.replace(/^oci-layout:\/\//, "");
  const out: Partial<OciLayoutRef> = {};
  const at = spec.lastIndexOf("@");
  if (at >= 0) {
    const digest = spec.slice(at + 1);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw new TypeError(`invalid digest in OCI layout reference ${JSON.stringify(ref)}`);
    }
    out.digest = digest as Digest;
    spec = spec.slice(0, at);
  }
  const colon = spec.lastIndexOf(":");
  if (colon > spec.lastIndexOf("/")) {
    const tag = spec.slice(colon + 1);
    if (tag !== "") out.tag = tag;
    spec = spec.slice(0, colon);
  }
  if (spec === "") throw new TypeError(`OCI layout reference ${JSON.stringify(ref)} has no store`);
  return { store: spec, ...out };
}

/** Options of {@link createImageResolver}. */
export interface ImageResolverOptions {
  /**
   * The content store holding the image store's blobs, or the whole store
   * (`openStore()`: its `content` and `images`).
   */
  store: ContentStore | StoreWithImages;
  /** Our image store (tags → descriptors); default `store.images`. */
  images?: ImageLookup;
  /**
   * The build's named contexts: an `oci-layout://` reference whose store is
   * the name of an `oci-layout` context reads that context's directory.
   */
  namedContexts?: Record<string, NamedContext | string>;
  /** OCI layout stores by name (`--oci-layout name=path`). */
  ociLayouts?: Record<string, string>;
  /** Base directory of relative layout paths. Default: the process's cwd. */
  cwd?: string;
}

/**
 * Finds the directory of an OCI layout store: a name from `ociLayouts`, a
 * named `oci-layout` context, or else the store itself as a path.
 *
 * @example
 * ```ts
 * import { ociLayoutDir } from "./image_resolver.ts";
 * console.assert(ociLayoutDir("main", { ociLayouts: { main: "/srv/oci" } }) === "/srv/oci");
 * console.assert(ociLayoutDir("/srv/x", {}) === "/srv/x");
 * ```
 */
export function ociLayoutDir(
  store: string,
  options: Pick<ImageResolverOptions, "namedContexts" | "ociLayouts" | "cwd">,
): string {
  const cwd = options.cwd ?? process.cwd();
  const mapped = options.ociLayouts?.[store];
  if (mapped !== undefined && Object.hasOwn(options.ociLayouts!, store)) {
    return path.resolve(cwd, mapped);
  }
  const nc = options.namedContexts;
  if (nc !== undefined && Object.hasOwn(nc, store)) {
    const v = nc[store]!;
    const c = typeof v === "string" ? parseNamedContext(v, store) : v;
    if (c.type === "oci-layout") return path.resolve(cwd, c.store);
  }
  return path.resolve(cwd, store);
}

function pin(ref: string, digest: string): string {
  const at = ref.indexOf("@");
  return `${at < 0 ? ref : ref.slice(0, at)}@${digest}`;
}

/**
 * Creates the frontend's image resolver over local images.
 *
 * - `docker-image://REF` or a bare reference: normalized, looked up in the
 *   image store (or, when pinned, by digest in the content store); the result
 *   is pinned to the platform manifest: `docker.io/library/busybox:latest@sha256:…`.
 * - `oci-layout://STORE[:tag][@digest]`: resolved in the layout directory;
 *   the result is `oci-layout://STORE@sha256:…` of the platform manifest.
 *
 * Every resolve mode reads local images only, for now.
 *
 * @throws {ImageNotFoundError} (from `resolveImageConfig`) for an unknown image.
 *
 * @example
 * ```ts ignore
 * import { createImageResolver } from "./image_resolver.ts";
 * import { FileContentStore } from "../store/mod.ts";
 * const resolver = createImageResolver({
 *   store: new FileContentStore("/tmp/store"),
 *   images: { resolve: () => undefined },
 * });
 * const res = await resolver.resolveImageConfig("oci-layout:///tmp/busybox-layout:busybox", {
 *   platform: { os: "linux", architecture: "amd64" },
 *   resolveMode: "default",
 * });
 * console.log(res.ref, res.config?.config?.Cmd);
 * ```
 */
export function createImageResolver(options: ImageResolverOptions): ImageResolver {
  const { content, images } = splitStore(options.store, options.images);
  const layouts = new Map<string, Promise<OciLayout>>();
  const openLayout = (dir: string): Promise<OciLayout> => {
    let p = layouts.get(dir);
    if (p === undefined) {
      p = openOciLayout(dir);
      layouts.set(dir, p);
      p.catch(() => layouts.delete(dir));
    }
    return p;
  };

  async function fromLayout(ref: string, platform: Platform): Promise<ResolvedImage> {
    const r = parseOciLayoutRef(ref);
    const dir = ociLayoutDir(r.store, options);
    let layout: OciLayout;
    try {
      layout = await openLayout(dir);
    } catch (e) {
      if (e instanceof OciLayoutError) {
        throw new OciLayoutError(dir, `cannot use ${ref}: ${e.message}`, { cause: e });
      }
      throw e;
    }
    const resolved = await layout.resolve(r.digest ?? r.tag, { platform });
    const config = parseImageConfig(await layout.readBlob(resolved.manifest.config));
    return { ref: `oci-layout://${r.store}@${resolved.descriptor.digest}`, config };
  }

  async function fromStore(ref: string, platform: Platform): Promise<ResolvedImage> {
    let normalized: string;
    try {
      normalized = normalizeImageRef(ref);
      parseReference(normalized);
    } catch (e) {
      if (e instanceof InvalidReferenceError) {
        throw new Error(`failed to parse image reference "${ref}": ${e.message}`, { cause: e });
      }
      throw e;
    }
    if (images === undefined) throw new ImageNotFoundError(normalized);
    const target = await lookupImage(images, content, normalized);
    const read = async (d: { digest: string; size: number }) => {
      const bytes = await content.readBytes(d.digest);
      if (bytes.byteLength !== d.size) {
        throw new Error(
          `blob ${d.digest} of image ${normalized}: expected ${d.size} bytes, got ` +
            `${bytes.byteLength}`,
        );
      }
      return bytes;
    };
    const resolved = await selectManifest(target, read, { platform, what: normalized });
    const config = parseImageConfig(await read(resolved.manifest.config));
    return { ref: pin(normalized, resolved.descriptor.digest), config };
  }

  return {
    resolveImageConfig(
      ref: string,
      opts: { platform: Platform; resolveMode: ResolveMode },
    ): Promise<ResolvedImage> {
      if (ref.startsWith("oci-layout://")) return fromLayout(ref, opts.platform);
      return fromStore(ref, opts.platform);
    },
  };
}
