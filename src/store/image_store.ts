// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Tagged images, kept in the store root's `index.json`: the root is an OCI
 * image layout, so `skopeo inspect oci:<root>:<ref>` and umoci read it.
 *
 * Each tag is one manifest descriptor in the index, annotated with
 * `org.opencontainers.image.ref.name` and `io.containerd.image.name` (both
 * the full normalized reference, as the caller gives it). The index is
 * rewritten atomically under the `index` lock.
 *
 * @module
 */

import { z } from "zod";
import { fs, path } from "../runtime/mod.ts";
import { BlobNotFoundError, type ContentStore } from "./types.ts";
import type { LockManager } from "./lock.ts";
import { atomicWriteFile, atomicWriteFileSync, readJsonFileSync } from "./_fs.ts";

/** Annotation holding the tag in an OCI layout index. */
export const ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name";
/** Annotation containerd uses for the image name. */
export const ANNOTATION_CONTAINERD_NAME = "io.containerd.image.name";
/** Annotation holding the creation time. */
export const ANNOTATION_CREATED = "org.opencontainers.image.created";

const OCI_INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json";

/** A descriptor of an image manifest or index, as tagged. */
export interface ImageDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: {
    architecture: string;
    os: string;
    variant?: string;
    "os.version"?: string;
    "os.features"?: string[];
  };
  artifactType?: string;
}

/** A tagged image as listed. */
export interface TaggedImage {
  /** The full normalized reference. */
  ref: string;
  /** Digest of the manifest or index. */
  digest: string;
  /** Media type of the manifest or index. */
  mediaType: string;
  /** Size of the manifest or index blob. */
  size: number;
  /** ISO time of creation (or of tagging), when recorded. */
  created: string | undefined;
}

const descriptorSchema = z.looseObject({
  mediaType: z.string(),
  digest: z.string().regex(/^[a-z0-9]+:[a-zA-Z0-9=_-]+$/),
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const indexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema),
});

interface LayoutIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: ImageDescriptor[];
  [k: string]: unknown;
}

/**
 * Makes `root` an OCI image layout (`oci-layout`, `index.json`,
 * `blobs/sha256`) unless it already is one.
 */
export function ensureLayout(root: string): void {
  fs.mkdirSync(path.join(root, "blobs", "sha256"), { recursive: true });
  const layout = path.join(root, "oci-layout");
  if (!fs.existsSync(layout)) {
    atomicWriteFileSync(layout, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  }
  const index = path.join(root, "index.json");
  if (!fs.existsSync(index)) {
    atomicWriteFileSync(
      index,
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX_MEDIA_TYPE, manifests: [] }),
    );
  }
}

/** Options of {@linkcode ImageStore}. */
export interface ImageStoreOptions {
  /** Where the manifests live (checked on tag). */
  content: ContentStore;
  /** Locks of the store (the index is rewritten under `index`). */
  locks: LockManager;
}

/**
 * Tags in the store's OCI layout index.
 *
 * @example
 * ```ts
 * import { openStore } from "./root.ts";
 * import { mkdtempSync } from "node:fs";
 * const store = openStore(mkdtempSync("/tmp/store-"));
 * const manifest = new TextEncoder().encode("{}");
 * const { digest, size } = await store.content.ingest(new Blob([manifest]).stream());
 * const mediaType = "application/vnd.oci.image.manifest.v1+json";
 * await store.images.tag("docker.io/library/x:latest", { mediaType, digest, size });
 * console.assert((await store.images.resolve("docker.io/library/x:latest"))?.digest === digest);
 * ```
 */
export class ImageStore {
  /** The layout root. */
  readonly root: string;
  #content: ContentStore;
  #locks: LockManager;

  /** Uses the OCI layout at `root` (see {@linkcode ensureLayout}). */
  constructor(root: string, options: ImageStoreOptions) {
    this.root = root;
    this.#content = options.content;
    this.#locks = options.locks;
  }

  /** The index file. */
  get indexPath(): string {
    return path.join(this.root, "index.json");
  }

  #read(): LayoutIndex {
    let raw: unknown;
    try {
      raw = readJsonFileSync(this.indexPath);
    } catch (e) {
      throw new Error(`Cannot read image index ${JSON.stringify(this.indexPath)}: ${e}`, {
        cause: e,
      });
    }
    if (raw === undefined) return { schemaVersion: 2, manifests: [] };
    const parsed = indexSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `Cannot read image index ${JSON.stringify(this.indexPath)}: ` +
          `${issue?.path.join(".") || "index"}: ${issue?.message ?? "invalid"}`,
      );
    }
    return parsed.data as LayoutIndex;
  }

  async #write(index: LayoutIndex): Promise<void> {
    const out: LayoutIndex = { ...index, schemaVersion: 2 };
    out.mediaType ??= OCI_INDEX_MEDIA_TYPE;
    await atomicWriteFile(this.indexPath, JSON.stringify(out));
  }

  /**
   * Points `ref` (a full normalized reference) at a manifest or index already
   * in the content store, replacing any previous target of `ref`.
   *
   * @throws {BlobNotFoundError} when the manifest is not in the content store.
   */
  async tag(ref: string, descriptor: ImageDescriptor): Promise<void> {
    if (ref === "") throw new TypeError("Cannot tag an image with an empty reference");
    if (!(await this.#content.has(descriptor.digest))) {
      throw new BlobNotFoundError(descriptor.digest);
    }
    const entry: ImageDescriptor = {
      mediaType: descriptor.mediaType,
      digest: descriptor.digest,
      size: descriptor.size,
      annotations: {
        ...descriptor.annotations,
        [ANNOTATION_CONTAINERD_NAME]: ref,
        [ANNOTATION_REF_NAME]: ref,
      },
    };
    entry.annotations![ANNOTATION_CREATED] ??= new Date().toISOString();
    if (descriptor.platform !== undefined) entry.platform = descriptor.platform;
    if (descriptor.artifactType !== undefined) entry.artifactType = descriptor.artifactType;
    await this.#locks.withLock("index", async () => {
      const index = this.#read();
      index.manifests = index.manifests.filter((m) => m.annotations?.[ANNOTATION_REF_NAME] !== ref);
      index.manifests.push(entry);
      await this.#write(index);
    });
  }

  /** The descriptor tagged `ref`, or `undefined`. */
  resolve(ref: string): Promise<ImageDescriptor | undefined> {
    try {
      const index = this.#read();
      return Promise.resolve(
        index.manifests.find((m) => m.annotations?.[ANNOTATION_REF_NAME] === ref),
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Every tagged image. */
  list(): Promise<TaggedImage[]> {
    try {
      const out: TaggedImage[] = [];
      for (const m of this.#read().manifests) {
        const ref = m.annotations?.[ANNOTATION_REF_NAME];
        if (ref === undefined) continue;
        out.push({
          ref,
          digest: m.digest,
          mediaType: m.mediaType,
          size: m.size,
          created: m.annotations?.[ANNOTATION_CREATED],
        });
      }
      return Promise.resolve(out);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Every descriptor in the index (tagged or not). */
  descriptors(): Promise<ImageDescriptor[]> {
    try {
      return Promise.resolve(this.#read().manifests);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Removes the tag `ref`; resolves to whether it existed. The blobs stay until prune. */
  untag(ref: string): Promise<boolean> {
    return this.#locks.withLock("index", async () => {
      const index = this.#read();
      const before = index.manifests.length;
      index.manifests = index.manifests.filter((m) => m.annotations?.[ANNOTATION_REF_NAME] !== ref);
      if (index.manifests.length === before) return false;
      await this.#write(index);
      return true;
    });
  }
}
