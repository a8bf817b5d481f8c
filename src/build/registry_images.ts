// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Base images from registries, with an offline-friendly rule:
 *
 * - an image built here (in the image store without a pull time) is used as is;
 * - a tag pulled less than {@linkcode PULL_FRESH_MS} ago is reused without asking the
 *   registry;
 * - an older tag, or any tag with `--pull`, is resolved again; when the registry cannot
 *   be reached, a tag already in the store is used with a warning, so builds keep
 *   working offline.
 *
 * Pulled images are tagged in the image store (with the pull time as an annotation);
 * their blobs land in the content store once and are shared by every build.
 *
 * @module
 */

import type { ImageResolver } from "../frontend/mod.ts";
import { normalizeReference, type Platform } from "../oci/mod.ts";
import { pullImage, type RegistryClientOptions, RegistryError } from "../registry/mod.ts";
import type { Store } from "../store/mod.ts";

/** How long a pulled tag is reused without asking the registry. */
export const PULL_FRESH_MS = 24 * 3600_000;

/** The annotation holding when a tag was pulled. */
export const PULLED_ANNOTATION = "io.buildkit-ts.pulled";

/** Options of {@linkcode withRegistryPulls}. */
export interface RegistryPullOptions {
  store: Store;
  /** `--pull`: resolve every tag again. */
  pull: boolean;
  clientOptions: RegistryClientOptions;
  warn(message: string): void;
  now?: () => number;
  /** Tells which references were pulled (for progress). */
  onPull?(ref: string, blobs: number): void;
}

function isNetworkError(err: unknown): boolean {
  if (err instanceof RegistryError) return err.status === undefined || err.temporary === true;
  const msg = err instanceof Error
    ? `${err.message} ${String((err as { cause?: unknown }).cause ?? "")}`
    : String(err);
  return /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|ETIMEDOUT|fetch failed|error sending request|dns|connection refused|Unable to connect/i
    .test(msg);
}

/** Wraps a local image resolver so that images missing locally (or stale) come from their registry. */
export function withRegistryPulls(
  local: ImageResolver,
  options: RegistryPullOptions,
): ImageResolver {
  const now = options.now ?? (() => Date.now());
  const done = new Map<string, Promise<void>>();
  const ensure = (ref: string, platform: Platform): Promise<void> => {
    const key = `${ref}\0${platform.os}/${platform.architecture}/${platform.variant ?? ""}`;
    let p = done.get(key);
    if (!p) {
      p = (async () => {
        const tagged = await options.store.images.resolve(ref);
        const pulledAt = tagged?.annotations?.[PULLED_ANNOTATION];
        const pinned = ref.includes("@sha256:");
        if (tagged !== undefined && (pulledAt === undefined || pinned)) return; // built here, or pinned
        if (
          tagged !== undefined && !options.pull && now() - Date.parse(pulledAt!) < PULL_FRESH_MS
        ) return;
        if (pinned && (await options.store.content.has(ref.slice(ref.indexOf("@") + 1)))) return;
        try {
          const r = await pullImage(ref, options.store.content, {
            platform,
            clientOptions: options.clientOptions,
          });
          await options.store.images.tag(ref, {
            mediaType: r.root.mediaType,
            digest: r.root.digest,
            size: r.root.size,
            annotations: { [PULLED_ANNOTATION]: new Date(now()).toISOString() },
          });
          options.onPull?.(ref, r.pulledBlobs);
        } catch (err) {
          if (tagged !== undefined && isNetworkError(err)) {
            options.warn(
              `cannot reach the registry for ${ref}; using the copy pulled at ${pulledAt}`,
            );
            return;
          }
          throw err;
        }
      })();
      done.set(key, p);
    }
    return p;
  };
  return {
    resolveImageConfig: async (ref, opts) => {
      if (!ref.startsWith("oci-layout://")) {
        const normalized = normalizeReference(ref.replace(/^docker-image:\/\//, ""));
        await ensure(normalized, opts.platform);
      }
      return local.resolveImageConfig(ref, opts);
    },
  };
}
