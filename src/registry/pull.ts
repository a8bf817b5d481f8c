// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Pulling an image into a content store: reference → manifest or index →
 * the platform's manifest → config and layers, each blob verified against
 * its digest before it is stored, blobs already present skipped.
 *
 * @module
 */

import {
  bestMatch,
  type Descriptor,
  type Index,
  isNonDistributableLayer,
  type Manifest,
  parseManifestOrIndex,
  parseReference,
  type Platform,
  platformFromOci,
  type Reference,
} from "../oci/mod.ts";
import type { ContentStore } from "../store/mod.ts";
import { process } from "../runtime/mod.ts";
import { RegistryClient, type RegistryClientOptions } from "./client.ts";
import { resolveCredentials } from "./credentials.ts";
import { RegistryError } from "./errors.ts";
import { isRetryable, withRetry } from "./retry.ts";
import { mapPool } from "./_pool.ts";

/** Options of {@linkcode pullImage}. */
export interface PullOptions {
  /** The client to use; built from `clientOptions` (credentials from the Docker config) when absent. */
  client?: RegistryClient;
  /** Options for the client built when `client` is absent. */
  clientOptions?: RegistryClientOptions;
  /** The platform to pick from an index (default: linux on the host's architecture). */
  platform?: Platform;
  /** Pull every manifest of an index instead of one platform's. */
  allPlatforms?: boolean;
  /** Blobs downloaded at once (default 3, as dockerd and containerd). */
  concurrency?: number;
  /** Called after each blob is stored or found present. */
  onBlob?: (descriptor: Descriptor, status: "pulled" | "present") => void;
}

/** One image manifest pulled, with its parsed content. */
export interface PulledManifest {
  /** The manifest's descriptor (with the index entry's platform, if any). */
  descriptor: Descriptor;
  /** The parsed manifest. */
  manifest: Manifest;
}

/** What {@linkcode pullImage} stored. */
export interface PullResult {
  /** The normalized reference pulled. */
  reference: Reference;
  /** The descriptor of what the reference names (an index or a manifest). */
  root: Descriptor;
  /** The parsed index, when the reference names one. */
  index?: Index;
  /** The image manifests pulled (one unless `allPlatforms`). */
  manifests: PulledManifest[];
  /** Blobs downloaded (not counting those already in the store). */
  pulledBlobs: number;
}

const HOST_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386" };

function hostPlatform(): Platform {
  const arch = HOST_ARCH[process.arch] ?? process.arch;
  return { os: "linux", architecture: arch };
}

/**
 * Builds a client for a reference's registry with credentials from the
 * Docker and Podman config files.
 */
export function clientFor(
  reference: Reference,
  options: RegistryClientOptions = {},
): RegistryClient {
  return new RegistryClient(reference.domain, {
    credentials: (domain) => resolveCredentials(domain, { repository: reference.path }),
    ...options,
  });
}

async function storeBytes(
  store: ContentStore,
  descriptor: Descriptor,
  bytes: Uint8Array,
): Promise<void> {
  if (await store.has(descriptor.digest)) return;
  await store.ingest(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(), {
    digest: descriptor.digest,
    size: descriptor.size,
  });
}

/**
 * Pulls an image (`127.0.0.1:5000/app:1`, `alpine@sha256:…`) into a content
 * store and returns what it stored. Every manifest, config and layer is
 * verified against its digest; a mismatch fails the pull and keeps nothing
 * of that blob.
 *
 * @throws {RegistryError} for registry failures (after retries), a missing
 * platform, or a digest mismatch ({@linkcode RegistryDigestError}).
 */
export async function pullImage(
  reference: string | Reference,
  store: ContentStore,
  options: PullOptions = {},
): Promise<PullResult> {
  const ref = typeof reference === "string" ? parseReference(reference) : { ...reference };
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = "latest";
  const client = options.client ?? clientFor(ref, options.clientOptions);
  const repo = ref.path;
  const concurrency = options.concurrency ?? 3;
  let pulledBlobs = 0;

  const fetchManifest = async (digestOrTag: string, entry?: Descriptor) => {
    const { descriptor, bytes } = await client.getManifest(repo, digestOrTag);
    await storeBytes(store, descriptor, bytes);
    const parsed = parseManifestOrIndex(bytes);
    const desc: Descriptor = entry?.platform
      ? { ...descriptor, platform: entry.platform }
      : descriptor;
    return { desc, parsed };
  };

  const pullBlob = async (d: Descriptor) => {
    if (await store.has(d.digest)) {
      options.onBlob?.(d, "present");
      return;
    }
    // A cut connection restarts the download; the partial bytes are dropped by ingest.
    // The request itself was retried by the client already: only a body cut short is retried here.
    let requestFailed = false;
    await withRetry(async () => {
      let stream: ReadableStream<Uint8Array>;
      try {
        stream = await client.getBlob(repo, d);
      } catch (e) {
        requestFailed = true;
        throw e;
      }
      await store.ingest(stream, { digest: d.digest, size: d.size });
    }, { attempts: 4, baseDelayMs: 100, retryIf: (e) => !requestFailed && isRetryable(e) });
    pulledBlobs++;
    options.onBlob?.(d, "pulled");
  };

  const pullManifestBlobs = async (m: Manifest) => {
    const layers = m.layers.filter((l) =>
      !(isNonDistributableLayer(l.mediaType) && (l.urls?.length ?? 0) > 0)
    );
    await mapPool(layers, concurrency, pullBlob);
    await pullBlob(m.config);
  };

  const root = await fetchManifest(ref.digest ?? ref.tag!);
  const result: PullResult = { reference: ref, root: root.desc, manifests: [], pulledBlobs: 0 };
  if (root.parsed.kind === "manifest") {
    await pullManifestBlobs(root.parsed.manifest);
    result.manifests.push({ descriptor: root.desc, manifest: root.parsed.manifest });
  } else {
    const index = root.parsed.index;
    result.index = index;
    let entries = index.manifests;
    for (let depth = 0; depth < 4; depth++) {
      let picked: Descriptor[];
      if (options.allPlatforms) picked = entries;
      else {
        const want = options.platform ?? hostPlatform();
        const candidates = entries.filter((e) => e.platform !== undefined).map((e) => ({
          ...platformFromOci(e.platform!),
          entry: e,
        }));
        const best = bestMatch(want, candidates);
        if (best === undefined) {
          const have = candidates.map((c) =>
            `${c.os}/${c.architecture}${c.variant ? "/" + c.variant : ""}`
          );
          throw new RegistryError(
            `No manifest for ${want.os}/${want.architecture}${
              want.variant ? "/" + want.variant : ""
            } in ${ref.domain}/${repo} (it has ${have.join(", ") || "no platforms"})`,
          );
        }
        picked = [best.entry];
      }
      const nested: Descriptor[] = [];
      for (const entry of picked) {
        const { desc, parsed } = await fetchManifest(entry.digest, entry);
        if (parsed.kind === "index") {
          nested.push(...parsed.index.manifests);
          continue;
        }
        await pullManifestBlobs(parsed.manifest);
        result.manifests.push({ descriptor: desc, manifest: parsed.manifest });
      }
      if (nested.length === 0) break;
      entries = nested;
    }
  }
  result.pulledBlobs = pulledBlobs;
  return result;
}
