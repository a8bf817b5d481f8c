// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Pushing an image from a content store: for each manifest, its layers,
 * then its config, then the manifest (by digest when an index follows),
 * then the index under the tag. Blobs the registry has are skipped (HEAD);
 * blobs of other repositories of the same registry are mounted.
 *
 * @module
 */

import {
  type Descriptor,
  isNonDistributableLayer,
  parseManifestOrIndex,
  parseReference,
  type Reference,
} from "../oci/mod.ts";
import type { ContentStore } from "../store/mod.ts";
import { repositoryScope } from "./auth.ts";
import type { PushBlobResult, RegistryClient, RegistryClientOptions } from "./client.ts";
import { RegistryError } from "./errors.ts";
import { clientFor } from "./pull.ts";
import { mapPool } from "./_pool.ts";

/** Options of {@linkcode pushImage}. */
export interface PushOptions {
  /** The client to use; built from `clientOptions` (credentials from the Docker config) when absent. */
  client?: RegistryClient;
  /** Options for the client built when `client` is absent. */
  clientOptions?: RegistryClientOptions;
  /** Repositories of the same registry whose blobs may be mounted (e.g. the base image's). */
  mountFrom?: readonly string[];
  /** Upload in PATCH chunks of this many bytes (monolithic PUT when absent). */
  chunkSize?: number;
  /** Blobs uploaded at once (default 3). */
  concurrency?: number;
  /** Called after each blob. */
  onBlob?: (descriptor: Descriptor, result: PushBlobResult) => void;
}

/** What {@linkcode pushImage} did. */
export interface PushResult {
  /** The reference pushed to. */
  reference: Reference;
  /** The descriptor of the pushed root (manifest or index). */
  root: Descriptor;
  /** Blob counts by outcome. */
  blobs: Record<PushBlobResult, number>;
}

/**
 * Pushes the image whose root (manifest or index) is `root` in `store` to
 * `reference` (`127.0.0.1:5000/app:1`). The root goes under the reference's
 * tag (or its digest when it has only one); child manifests of an index go
 * by digest, after their blobs.
 *
 * @throws {RegistryError} for registry failures after retries, or a blob
 * missing from the store.
 */
export async function pushImage(
  reference: string | Reference,
  store: ContentStore,
  options: PushOptions & { root: Descriptor },
): Promise<PushResult> {
  const ref = typeof reference === "string" ? parseReference(reference) : { ...reference };
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = "latest";
  if (ref.digest !== undefined && ref.digest !== options.root.digest) {
    throw new RegistryError(
      `Cannot push ${options.root.digest} to a reference pinned to ${ref.digest}`,
    );
  }
  const client = options.client ?? clientFor(ref, options.clientOptions);
  const repo = ref.path;
  const mountFrom = (options.mountFrom ?? []).filter((r) => r !== repo);
  client.addScopes([
    repositoryScope(repo, ["pull", "push"]),
    ...mountFrom.map((r) => repositoryScope(r, ["pull"])),
  ]);
  const blobs: Record<PushBlobResult, number> = { exists: 0, mounted: 0, uploaded: 0 };
  const done = new Map<string, Promise<void>>();

  const pushBlob = (d: Descriptor): Promise<void> => {
    let p = done.get(d.digest);
    if (p === undefined) {
      p = (async () => {
        if (!(await store.has(d.digest))) {
          throw new RegistryError(`Blob ${d.digest} is not in the content store; cannot push it`);
        }
        const pushOptions = {
          mountFrom,
          ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
        };
        const r = await client.pushBlob(repo, d, () => store.get(d.digest), pushOptions);
        blobs[r]++;
        options.onBlob?.(d, r);
      })();
      done.set(d.digest, p);
    }
    return p;
  };

  const pushManifestTree = async (d: Descriptor, tag: string | undefined): Promise<void> => {
    const bytes = await store.readBytes(d.digest);
    const parsed = parseManifestOrIndex(bytes);
    if (parsed.kind === "index") {
      for (const child of parsed.index.manifests) {
        if (!(await store.has(child.digest))) {
          throw new RegistryError(
            `Manifest ${child.digest} of index ${d.digest} is not in the content store`,
          );
        }
        await pushManifestTree(child, undefined);
      }
    } else {
      const m = parsed.manifest;
      const layers = m.layers.filter((l) =>
        !(isNonDistributableLayer(l.mediaType) && (l.urls?.length ?? 0) > 0)
      );
      await mapPool(layers, options.concurrency ?? 3, pushBlob);
      await pushBlob(m.config);
    }
    if (tag === undefined) {
      const have = await client.headManifest(repo, d.digest);
      if (have !== undefined) return;
    }
    const mediaType = d.mediaType ||
      (parsed.kind === "index" ? parsed.index.mediaType : parsed.manifest.mediaType) ||
      "application/vnd.oci.image.manifest.v1+json";
    await client.putManifest(repo, tag ?? d.digest, bytes, mediaType);
  };

  const root = options.root;
  if (root.mediaType === "") {
    throw new RegistryError("The root descriptor has no media type");
  }
  await pushManifestTree(root, ref.tag ?? root.digest);
  return { reference: ref, root, blobs };
}
