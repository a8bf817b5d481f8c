// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * One build from a Dockerfile: frontend → solver over the worker's ops → image
 * assembly → exporters. Progress goes to a sink; nothing is printed here.
 *
 * @module
 */

import { DockerfileError, type LineRange } from "../dockerfile/mod.ts";
import {
  annotationsFor,
  buildImage,
  buildIndex,
  type BuiltImage,
  exportDockerArchive,
  exporterResponse,
  exportLocal,
  exportOciLayout,
  exportTar,
  imageIdFileText,
  loadIntoDocker,
  metadataFileText,
  type OutputSpec,
} from "../exporter/mod.ts";
import { type ConvertResult, dockerfileToLlb } from "../frontend/mod.ts";
import type { Definition } from "../llb/mod.ts";
import {
  type Descriptor,
  normalizeReference,
  parseReference,
  type Platform,
  platformToOci,
} from "../oci/mod.ts";
import { pushImage, type RegistryClientOptions } from "../registry/mod.ts";
import { withRegistryPulls } from "./registry_images.ts";
import {
  type CacheExportSpec,
  type CacheImportSpec,
  type CacheRecordOut,
  type CacheSource,
  exportCache,
  importCache,
  inlineCacheConfig,
  layeredResultCache,
  lazyContentStore,
  markFinal,
  type RemoteCache,
} from "../cache/mod.ts";
import type { ProgressEvent, ProgressSink } from "../progress/mod.ts";
import { fs, path, takeSquashedIds } from "../runtime/mod.ts";
import { SolveError, Solver, type VertexOutcome } from "../solver/mod.ts";
import type { CacheResult, ContentStore, Store } from "../store/mod.ts";
import {
  createImageResolver,
  type ExecSettings,
  type ImageSourceResolver,
  importImage,
  ociLayoutDir,
  parseOciLayoutRef,
  Worker,
} from "../worker/mod.ts";

/** What to build and how, in the builder's terms (the CLI maps buildx flags to these). */
export interface BuildSettings {
  buildArgs: Record<string, string>;
  target?: string;
  /** Target platforms; one for now (several give an error). Default: the build platform. */
  platforms: Platform[];
  buildPlatform: Platform;
  /** `--build-context name=value`, BuildKit's string forms. */
  buildContexts: Record<string, string>;
  /** `-t` names. */
  tags: string[];
  outputs: OutputSpec[];
  noCache: boolean;
  noCacheFilter: string[];
  labels: Record<string, string>;
  /** `--annotation KEY=VALUE`: manifest annotations (buildx's default target). */
  annotations: Record<string, string>;
  /** `.dockerignore` patterns of the main context. */
  excludePatterns: string[];
  /** SOURCE_DATE_EPOCH (seconds), from the environment or the build arg. */
  sourceDateEpoch?: number;
  /** Vertices run at once. */
  concurrency: number;
  iidfile?: string;
  metadataFile?: string;
  /** Secrets, SSH agents, entitlements and the OCI runtime for RUN steps. */
  exec?: ExecSettings;
  /** Registries: `--pull`, insecure registries, client options (credentials, TLS). */
  registry?: RegistrySettings;
  /** `--cache-from`: caches to take results from (read lazily). */
  cacheFrom?: CacheImportSpec[];
  /** `--cache-to`: where to write the build's cache. */
  cacheTo?: CacheExportSpec[];
}

/** How the build talks to registries. */
export interface RegistrySettings {
  /** `--pull`: resolve base image tags again even when pulled recently. */
  pull?: boolean;
  /** Registries reachable over plain HTTP or with untrusted certificates (`--insecure-registry`). */
  insecureRegistries?: string[];
  /** Extra client options (a fetch with a CA, credentials) — tests and embedders. */
  clientOptions?: RegistryClientOptions;
  /** Where `--load` sends the image (a unix socket path); default: DOCKER_HOST or /var/run/docker.sock. */
  dockerHost?: string;
}

/** The Dockerfile and its context. */
export interface BuildInput {
  dockerfile: { name: string; data: Uint8Array };
  contextDir: string;
}

/** What a build produced. */
export interface BuildOutcome {
  convert: ConvertResult;
  /** The (first platform's) image. */
  image: BuiltImage;
  /** One image per target platform. */
  images: BuiltImage[];
  /** What was exported: the manifest, or the index over several platforms. */
  root: Descriptor;
  /** The image ID as buildx prints it: the config digest, or the index digest for several platforms. */
  imageId: string;
  /** Normalized names given with `-t` (and `name=` of outputs). */
  names: string[];
  /** Per vertex: cached or not, and why not. */
  outcomes: Map<string, VertexOutcome>;
  /** One line per export done, e.g. `oci layout → out.tar`. */
  exported: string[];
}

/** Services a build uses. */
export interface BuildServices {
  store: Store;
  progress: ProgressSink;
  signal?: AbortSignal;
  now?: () => number;
  cwd: string;
}

/** A build request that asks for something this version cannot do. */
export class BuildNotImplementedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BuildNotImplementedError";
  }
}

/** Runs a build. */
export async function runBuild(
  input: BuildInput,
  settings: BuildSettings,
  services: BuildServices,
): Promise<BuildOutcome> {
  const { store, progress } = services;
  const now = services.now ?? (() => Date.now());
  refuseUnsupportedOutputs(settings.outputs);
  const targetPlatforms = settings.platforms.length > 0
    ? settings.platforms
    : [settings.buildPlatform];
  const internal = internalVertex(progress, now);

  // 1. The frontend: Dockerfile → graph + image config.
  const clientOptions: RegistryClientOptions = {
    ...(settings.registry?.clientOptions ?? {}),
    ...(settings.registry?.insecureRegistries
      ? { insecureRegistries: settings.registry.insecureRegistries }
      : {}),
  };
  const resolver = withRegistryPulls(
    createImageResolver({ store, namedContexts: settings.buildContexts, cwd: services.cwd }),
    {
      store,
      pull: settings.registry?.pull ?? false,
      clientOptions,
      warn: (m) => progress.write({ type: "warning", rule: "Pull", detail: m, time: now() }),
    },
  );
  const convert = await internal(
    `[internal] load build definition from ${path.basename(input.dockerfile.name)}`,
    () =>
      dockerfileToLlb({ dockerfile: input.dockerfile.data, file: input.dockerfile.name }, {
        buildArgs: settings.buildArgs,
        ...(settings.target !== undefined ? { target: settings.target } : {}),
        targetPlatforms,
        buildPlatform: settings.buildPlatform,
        labels: settings.labels,
        namedContexts: settings.buildContexts,
        excludePatterns: settings.excludePatterns,
        resolver,
        ...(settings.sourceDateEpoch !== undefined ? { epoch: settings.sourceDateEpoch } : {}),
        ...(settings.noCache
          ? { noCache: true as const }
          : settings.noCacheFilter.length > 0
          ? { noCache: settings.noCacheFilter }
          : {}),
      }),
  );
  for (const w of convert.warnings) {
    progress.write({
      type: "warning",
      rule: w.rule,
      detail: w.message,
      line: w.range[0]?.start ?? 0,
      time: now(),
    });
  }
  const perPlatform = convert.platforms.length > 0 ? convert.platforms : [convert];
  for (const p of perPlatform) {
    checkEntitlements(p.definition, input.dockerfile.name, settings.exec?.entitlements ?? []);
  }

  // 2. Solve.
  const imageOut = settings.outputs.find((o) =>
    o.type === "oci" || o.type === "docker" || o.type === "image"
  );
  const img =
    imageOut && (imageOut.type === "oci" || imageOut.type === "docker" || imageOut.type === "image")
      ? imageOut.image
      : undefined;
  const compression = img?.compression === "zstd"
    ? "zstd"
    : img?.compression === "uncompressed"
    ? "none"
    : "gzip";
  const rewriteTimestamp = img?.rewriteTimestamp ?? false;
  const epoch = img?.sourceDateEpoch ?? settings.sourceDateEpoch;
  // Remote caches: only their manifests and configs are read now; a blob comes down the
  // first time something reads it (a step that needs the files, or an export).
  const remotes: RemoteCache[] = [];
  for (const spec of settings.cacheFrom ?? []) {
    try {
      const source: CacheSource = spec.type === "registry"
        ? { type: "registry", ref: spec.ref }
        : spec;
      const registry = spec.type === "registry" && spec.insecure
        ? {
          ...clientOptions,
          insecureRegistries: [
            ...(clientOptions.insecureRegistries ?? []),
            parseReference(spec.ref).domain,
          ],
        }
        : clientOptions;
      remotes.push(
        await importCache(source, {
          store: store.content,
          registry,
          ...(services.signal ? { signal: services.signal } : {}),
        }),
      );
    } catch (err) {
      // As BuildKit: a cache that cannot be read is a warning, not a failed build.
      progress.write({
        type: "warning",
        rule: "CacheImport",
        detail: `cannot import cache ${spec.type === "registry" ? spec.ref : spec.src}: ${
          err instanceof Error ? err.message : err
        }`,
        time: now(),
      });
    }
  }
  const content: ContentStore = remotes.length > 0
    ? lazyContentStore(store.content, remotes)
    : store.content;
  const results = remotes.length > 0 ? layeredResultCache(store.cache, remotes) : store.cache;
  const worker = new Worker({
    store,
    content,
    locals: { context: input.contextDir },
    layers: {
      compression,
      ...(img?.compressionLevel !== undefined ? { level: img.compressionLevel } : {}),
      ...(epoch !== undefined ? { sourceDateEpoch: epoch } : {}),
      ...(rewriteTimestamp ? { rewriteTimestamp: true } : {}),
    },
    images: imageSources(store, settings, services.cwd),
    ...(settings.exec ? { exec: settings.exec } : {}),
  });
  try {
    const targets = perPlatform.map((p) => worker.vertices(p.definition));
    const solver = new Solver<CacheResult>({
      cache: results,
      concurrency: settings.concurrency,
      now,
    });
    const outcomes = new Map<string, VertexOutcome>();
    let solved: CacheResult[];
    try {
      // Every platform's graph in one solve: shared steps run once, the rest concurrently.
      const wanted = targets.filter((t) => t !== undefined);
      const got = wanted.length > 0
        ? await solver.solve(wanted, {
          outcomes,
          onEvent: (e: ProgressEvent) => progress.write(e),
          ...(services.signal ? { signal: services.signal } : {}),
        })
        : [];
      let k = 0;
      solved = targets.map((t) => (t === undefined ? { layers: [] } : got[k++]!));
    } catch (err) {
      // Point the error at the Dockerfile lines of the step that failed.
      if (err instanceof SolveError) {
        const def = perPlatform.find((p) =>
          p.definition.ops.some((o) => o.digest === err.digest)
        )?.definition ??
          convert.definition;
        const range = sourceRange(def, err.digest);
        if (range.length > 0) {
          throw new DockerfileError(err.message, {
            range,
            file: input.dockerfile.name,
            cause: err,
          });
        }
      }
      throw err;
    }
    const refs = solved;

    // 3. The image: config + manifest into the content store.
    const names = [
      ...new Set(
        [...settings.tags, ...(img?.names ?? [])].flatMap((n) => n.split(",")).filter(Boolean),
      ),
    ]
      .map((n) => normalizeReference(n));
    const exportName = settings.outputs.length === 0
      ? "exporting to image"
      : `exporting to ${settings.outputs.map((o) => o.type).join(", ")}`;
    const exported: string[] = [];
    // The build's cache records: every vertex's key and result, the final chain marked.
    const cacheTo = settings.cacheTo ?? [];
    let records: CacheRecordOut[] = [];
    if (cacheTo.length > 0) {
      for (const o of outcomes.values()) {
        const r = await results.load(o.key, services.signal ?? new AbortController().signal);
        if (r !== undefined) records.push({ key: o.key, result: r });
      }
      // Final: in the chain of any platform's image.
      const marks = refs.map((r) => markFinal(records, r.layers));
      records = records.map((r, i) => ({ ...r, final: marks.some((m) => m[i]?.final === true) }));
    }
    const inlineWanted = cacheTo.some((c) => c.type === "inline");
    let images: BuiltImage[] = [];
    let root: Descriptor | undefined;
    const image = await internal(exportName, async () => {
      images = [];
      for (const [i, p] of perPlatform.entries()) {
        const r = refs[i] ?? { layers: [] };
        const inline = inlineWanted
          ? inlineCacheConfig(markFinal(records, r.layers), { layers: r.layers })
          : undefined;
        images.push(
          await buildImage({
            store: content,
            layers: r.layers,
            config: p.image,
            platform: platformToOci(p.platform),
            ...(p.baseImage ? { baseImage: p.baseImage } : {}),
            ...(epoch !== undefined ? { sourceDateEpoch: epoch } : {}),
            ...(rewriteTimestamp ? { rewriteTimestamp: true } : {}),
            ...(img?.ociMediaTypes === false ? { ociMediaTypes: false } : {}),
            annotations: manifestAnnotations(
              settings.annotations,
              img?.annotations ?? [],
              p.platform,
            ),
            ...(inline !== undefined ? { inlineCache: inline } : {}),
          }),
        );
      }
      const built = images[0]!;
      // Several platforms: an index over one manifest each (BuildKit's multi-platform result).
      root = images.length > 1
        ? (await buildIndex({
          store: content,
          manifests: images.map((b) => b.manifestDescriptor),
          ...(img?.ociMediaTypes === false ? { ociMediaTypes: false } : {}),
        })).indexDescriptor
        : built.manifestDescriptor;
      const rootDesc: Descriptor = root;
      const platformRefs = perPlatform.map((p, i) => ({
        platform: p.platform,
        ref: refs[i] ?? { layers: [] },
      }));
      // 4. Outputs.
      if (settings.outputs.length === 0) {
        for (const n of names) await store.images.tag(n, rootDesc);
        exported.push(
          names.length > 0 ? `image store: ${names.join(", ")}` : "image store (untagged)",
        );
      }
      for (const o of settings.outputs) {
        exported.push(
          await exportOne(o, rootDesc, platformRefs, names, worker, store, content, {
            clientOptions,
            dockerHost: settings.registry?.dockerHost,
            ...(services.signal ? { signal: services.signal } : {}),
          }),
        );
      }
      return built;
    });
    for (const target of cacheTo) {
      if (target.type === "inline") continue;
      await internal(
        `exporting cache to ${target.type === "registry" ? target.ref : target.dest}`,
        async () => {
          try {
            const registry = target.type === "registry" && target.insecure
              ? {
                ...clientOptions,
                insecureRegistries: [
                  ...(clientOptions.insecureRegistries ?? []),
                  parseReference(target.ref).domain,
                ],
              }
              : clientOptions;
            await exportCache(records, target, {
              store: content,
              registry,
              ...(services.signal ? { signal: services.signal } : {}),
            });
          } catch (err) {
            if (!target.ignoreError) throw err;
            progress.write({
              type: "warning",
              rule: "CacheExport",
              detail: String(err),
              time: now(),
            });
          }
        },
      );
    }
    const response = exporterResponse({
      descriptor: root!,
      ...(images.length === 1 ? { configDigest: image.configDescriptor.digest } : {}),
      names,
    });
    if (settings.metadataFile) writeAtomic(settings.metadataFile, metadataFileText(response));
    if (settings.iidfile) writeAtomic(settings.iidfile, imageIdFileText(response));
    const squashed = takeSquashedIds();
    if (squashed.length > 0) {
      progress.write({
        type: "warning",
        rule: "RootlessIds",
        detail:
          `${squashed.join(", ")} do not exist in this user namespace (it maps only uid/gid 0): ` +
          "those files were given to root; add an /etc/subuid and /etc/subgid range to keep them",
        time: now(),
      });
    }
    return {
      convert,
      image,
      images,
      root: root!,
      imageId: imageIdFileText(response),
      names,
      outcomes,
      exported,
    };
  } finally {
    worker.close();
  }
}

async function exportOne(
  o: OutputSpec,
  root: Descriptor,
  platformRefs: Array<{ platform: Platform; ref: CacheResult }>,
  names: string[],
  worker: Worker,
  store: Store,
  content: ContentStore,
  extra: {
    clientOptions: RegistryClientOptions;
    dockerHost: string | undefined;
    signal?: AbortSignal;
  },
): Promise<string> {
  switch (o.type) {
    case "image": {
      const targets = o.image.names.length > 0
        ? o.image.names.map((n) => normalizeReference(n))
        : names;
      for (const n of targets) await store.images.tag(n, root);
      if (!o.push) return `image store: ${targets.join(", ")}`;
      const insecure = o.insecure ? targets.map((t) => parseReference(t).domain) : [];
      const opts: RegistryClientOptions = {
        ...extra.clientOptions,
        insecureRegistries: [...(extra.clientOptions.insecureRegistries ?? []), ...insecure],
        ...(extra.signal ? { signal: extra.signal } : {}),
      };
      for (const n of targets) {
        await pushImage(n, content, { root: root, clientOptions: opts });
      }
      return `pushed ${targets.join(", ")}`;
    }
    case "oci":
      await exportOciLayout({
        store: content,
        descriptor: root,
        dest: o.dest,
        tar: o.tar,
        names,
      });
      return `oci ${o.tar ? "tarball" : "layout"} → ${o.dest}`;
    case "docker":
      if (o.dest === "") {
        await loadIntoDocker({
          store: content,
          descriptor: root,
          names,
          ...(extra.dockerHost !== undefined ? { host: extra.dockerHost } : {}),
        });
        return `loaded into Docker: ${names.join(", ") || root.digest}`;
      }
      await exportDockerArchive({
        store: content,
        descriptor: root,
        dest: o.dest,
        names,
      });
      return `docker archive → ${o.dest}`;
    case "local":
    case "tar": {
      if (o.type === "tar" && platformRefs.length > 1) {
        throw new BuildNotImplementedError(
          "a tar of the files of several platforms is not implemented yet; use type=local (one directory per platform) or one --platform",
        );
      }
      const opts = o.sourceDateEpoch !== undefined ? { sourceDateEpoch: o.sourceDateEpoch } : {};
      for (const { platform, ref } of platformRefs) {
        // Several platforms: one directory each, named as BuildKit's platform-split (linux_arm64_v8).
        const dest = platformRefs.length > 1
          ? path.join(
            o.dest,
            [platform.os, platform.architecture, platform.variant].filter(Boolean).join("_"),
          )
          : o.dest;
        const dir = await worker.materialize(ref);
        const rootDir = dir ?? fs.mkdtempSync(path.join(store.root, "tmp-empty-"));
        try {
          if (o.type === "local") await exportLocal(rootDir, dest, opts);
          else await exportTar(rootDir, dest, opts);
        } finally {
          if (dir === undefined) fs.rmSync(rootDir, { recursive: true, force: true });
        }
      }
      return `${o.type === "local" ? "files" : "tar"} → ${o.dest}`;
    }
    case "cacheonly":
      return "cache only";
  }
}

function manifestAnnotations(
  flags: Record<string, string>,
  specs: Parameters<typeof annotationsFor>[0],
  platform: Platform,
): { manifest: Record<string, string>; manifestDescriptor: Record<string, string> } {
  const r = annotationsFor(specs, platformToOci(platform));
  return { manifest: { ...flags, ...r.manifest }, manifestDescriptor: r.manifestDescriptor };
}

/** Image sources for the worker: our image store and OCI layout directories. */
function imageSources(store: Store, settings: BuildSettings, cwd: string): ImageSourceResolver {
  const pinned = (identifier: string) => /@(sha256:[0-9a-f]{64})$/.exec(identifier)?.[1];
  const spec = (identifier: string) => {
    if (identifier.startsWith("oci-layout://")) {
      const r = parseOciLayoutRef(identifier);
      const dir = ociLayoutDir(r.store, { namedContexts: settings.buildContexts, cwd });
      const ref = r.digest ?? r.tag;
      return { kind: "oci-layout" as const, dir, ...(ref !== undefined ? { ref } : {}) };
    }
    return { kind: "image-store" as const, ref: identifier.slice("docker-image://".length) };
  };
  const toPlatform = (p: Definition["ops"][number]["op"]["platform"]): Platform | undefined =>
    p
      ? { os: p.os, architecture: p.architecture, ...(p.variant ? { variant: p.variant } : {}) }
      : undefined;
  return {
    resolve: async (identifier, _attrs, platform) => {
      const d = pinned(identifier);
      if (d !== undefined) return d;
      const p = toPlatform(platform);
      const img = await importImage({
        source: spec(identifier),
        store,
        ...(p ? { platform: p } : {}),
      });
      return img.manifestDigest;
    },
    pull: async (identifier, _attrs, platform) => {
      const p = toPlatform(platform);
      const img = await importImage({
        source: spec(identifier),
        store,
        ...(p ? { platform: p } : {}),
      });
      return { layers: img.layers, config: img.configDigest, manifest: img.manifestDigest };
    },
  };
}

/** Output options that parse but are not carried out yet: refused before any work. */
function refuseUnsupportedOutputs(outputs: readonly OutputSpec[]): void {
  for (const o of outputs) {
    if (
      (o.type === "oci" || o.type === "docker" || o.type === "image") && o.image.forceCompression
    ) {
      throw new BuildNotImplementedError(
        "force-compression=true is not implemented yet: cached and base-image layers keep their compression",
      );
    }
    if ((o.type === "local" || o.type === "tar") && o.platformSplit !== undefined) {
      throw new BuildNotImplementedError(
        "platform-split is not implemented yet: several platforms always get one directory each",
      );
    }
    if (o.type === "local" && o.mode === "delete") {
      throw new BuildNotImplementedError("mode=delete for the local output is not implemented yet");
    }
  }
}

/** The Dockerfile lines a vertex came from (1-based), from the definition's source map. */
function sourceRange(def: Definition, digest: string): LineRange[] {
  const loc = def.source?.locations?.[digest]?.[0];
  return (loc?.ranges ?? []).map((r) => ({ start: r.start.line, end: r.end.line }));
}

/** Fails before any work when a RUN asks for an entitlement the build was not granted. */
function checkEntitlements(def: Definition, file: string, granted: string[]): void {
  for (const e of def.ops) {
    if (!("exec" in e.op)) continue;
    const needs: string[] = [];
    if (e.op.exec.network === "host") needs.push("network.host");
    if (e.op.exec.security === "insecure") needs.push("security.insecure");
    for (const n of needs) {
      if (granted.includes(n)) continue;
      const name = def.metadata?.[e.digest]?.description?.["llb.customname"] ?? "RUN";
      throw new DockerfileError(
        `${name} needs the ${n} entitlement: grant it with --allow ${n}`,
        { range: sourceRange(def, e.digest), file },
      );
    }
  }
}

/** Reports a step of our own (loading the definition, exporting) as a vertex. */
function internalVertex(progress: ProgressSink, now: () => number) {
  let n = 0;
  return async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const digest = `internal:${++n}:${name}`;
    progress.write({ type: "vertex.started", digest, name, inputs: [], time: now() });
    try {
      const r = await fn();
      progress.write({ type: "vertex.completed", digest, time: now(), cached: false });
      return r;
    } catch (err) {
      progress.write({
        type: "vertex.completed",
        digest,
        time: now(),
        cached: false,
        error: err instanceof Error ? err.message : String(err),
      });
      throw err;
    }
  };
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${Date.now()}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
