// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The worker: binds the IR's ops to the solver (cache maps and executions) on top of
 * the store. It is the only place where solver, store, archive and ops meet.
 *
 * Results are {@linkcode CacheResult}s: a layer chain (blobs in the content store)
 * plus, when one exists, the snapshot holding the file tree. Trees are made lazily:
 * a result found in the cache brings no file work until a later step needs its files.
 *
 * @module
 */

import {
  applyLayer,
  type Change,
  type Compression,
  diffTrees,
  writeLayer,
} from "../archive/mod.ts";
import type { Definition, FileActionOp as FileAction, Op } from "../llb/mod.ts";
import { opKind } from "../llb/mod.ts";
import type { CacheMap, ExecContext, SolverOp, Vertex } from "../solver/mod.ts";
import {
  type CacheResult,
  cloneTree,
  type ContentStore,
  type LayerRecord,
  type MutableSnapshot,
  removeTree,
  type Store,
} from "../store/mod.ts";
import { createHash, fs, path } from "../runtime/mod.ts";
import { chainIds, ChainIndex } from "./chains.ts";
import { executeFileOp } from "./file_op.ts";
import { gitSourceOp, parseGitIdentifier } from "./git_source.ts";
import { httpSourceOp, parseHttpIdentifier } from "./http_source.ts";
import { type ExecSettings, mountStackReadOnly, runExecOp } from "./exec_op.ts";
import {
  type ContextScan,
  type ContextSelector,
  ContextSumCache,
  linkSelection,
  scanContext,
  selectionChecksum,
} from "./local_source.ts";

/** How layers are written. */
export interface LayerSettings {
  compression: Compression;
  level?: number;
  sourceDateEpoch?: number;
  rewriteTimestamp?: boolean;
}

/** Resolves and imports image sources (`docker-image://`, `oci-layout://`). */
export interface ImageSourceResolver {
  /** The manifest digest the identifier resolves to (part of the cache key). */
  resolve(
    identifier: string,
    attrs: Record<string, string>,
    platform: Op["platform"],
  ): Promise<string>;
  /** Imports the image's blobs into the content store; returns its layers and config digest. */
  pull(
    identifier: string,
    attrs: Record<string, string>,
    platform: Op["platform"],
  ): Promise<{ layers: LayerRecord[]; config: string; manifest: string }>;
}

/** Options of a {@linkcode Worker}. */
export interface WorkerOptions {
  store: Store;
  /** Local sources by name (`context`, …) → directory. */
  locals: Record<string, string>;
  layers: LayerSettings;
  images?: ImageSourceResolver;
  /** Secrets, SSH agents, entitlements and the OCI runtime for RUN steps. */
  exec?: ExecSettings;
  /** The content store to read and write blobs through (default: the store's own), e.g. one that fetches from remote caches. */
  content?: ContentStore;
}

/** Thrown for an op this version cannot run (RUN before the executor lands). */
export class UnsupportedOpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedOpError";
  }
}

interface OpEntry {
  digest: string;
  op: Op;
}

function sha(s: string): string {
  return `sha256:${createHash("sha256").update(s).digest("hex")}`;
}

function parseJsonList(value: string | undefined): string[] | undefined {
  if (value === undefined || value === "") return undefined;
  const v = JSON.parse(value);
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw new Error(`expected a JSON list of strings, got ${value}`);
  }
  return v;
}

/**
 * Executes one build's ops. Create one per build; `close()` removes the temporary
 * trees it made (views of the build context).
 */
export class Worker {
  readonly #opts: WorkerOptions;
  readonly #chains: ChainIndex;
  readonly #scans = new Map<string, ContextScan>();
  readonly #views = new Map<string, Promise<string>>();
  readonly #materialized = new Map<string, Promise<string | undefined>>();
  readonly #temp: string[] = [];
  readonly #busyCaches = new Set<string>();

  readonly #layerKey: string;

  /** Where blobs are read and written. */
  get #content(): ContentStore {
    return this.#opts.content ?? this.#opts.store.content;
  }

  constructor(options: WorkerOptions) {
    this.#opts = options;
    const l = options.layers;
    this.#layerKey = JSON.stringify([
      l.compression,
      l.level ?? null,
      l.rewriteTimestamp ? l.sourceDateEpoch ?? null : null,
    ]);
    this.#chains = new ChainIndex(options.store.root);
  }

  /**
   * Turns a definition into solver vertices; returns the vertex of its result
   * (the terminal op's input), or `undefined` for an empty (scratch) result.
   */
  vertices(def: Definition): Vertex<CacheResult> | undefined {
    const byDigest = new Map<string, OpEntry>();
    for (const e of def.ops) byDigest.set(e.digest, { digest: e.digest, op: e.op as Op });
    const vertices = new Map<string, Vertex<CacheResult>>();
    const names = (digest: string) => {
      const d = def.metadata?.[digest]?.description;
      return d?.["llb.customname"] ?? d?.["com.docker.dockerfile.v1.command"] ??
        digest.slice(0, 19);
    };
    for (const e of def.ops) {
      const op = e.op as Op;
      if (opKind(op) === "terminal") continue;
      const inputs = (op.inputs ?? []).map((i) => {
        const v = vertices.get(i.digest);
        if (!v) throw new Error(`input ${i.digest} of ${e.digest} is not defined before it`);
        return v;
      });
      const inputOps = (op.inputs ?? []).map((i) => byDigest.get(i.digest)!);
      const meta = def.metadata?.[e.digest];
      const v: Vertex<CacheResult> = {
        digest: e.digest,
        name: names(e.digest),
        inputs,
        op: this.#solverOp(e.digest, op, inputOps, names(e.digest)),
        ...(meta?.ignoreCache ? { ignoreCache: true } : {}),
      };
      vertices.set(e.digest, v);
    }
    const terminal = def.ops[def.ops.length - 1];
    const result = terminal?.op.inputs?.[0];
    return result ? vertices.get(result.digest) : undefined;
  }

  #solverOp(digest: string, op: Op, inputOps: OpEntry[], name: string): SolverOp<CacheResult> {
    const plain = (): Promise<CacheMap> =>
      Promise.resolve({ digest, deps: inputOps.map(() => ({})) });
    if ("source" in op) {
      const id = op.source.identifier;
      const attrs = op.source.attrs ?? {};
      if (id.startsWith("local://")) {
        const localName = id.slice("local://".length);
        return {
          cacheMap: () => {
            const scan = this.#scan(digest, localName, attrs);
            return Promise.resolve({ digest: sha(`${digest}\0${scan.checksum}`), deps: [] });
          },
          exec: () => Promise.resolve({ layers: [], meta: { kind: "local", op: digest } }),
        };
      }
      if (id.startsWith("docker-image://") || id.startsWith("oci-layout://")) {
        const images = this.#opts.images;
        return {
          cacheMap: async () => {
            if (!images) throw new Error(`no image source configured for ${id}`);
            const manifest = await images.resolve(id, attrs, op.platform);
            return { digest: sha(`${digest}\0${manifest}`), deps: [] };
          },
          exec: async () => {
            const img = await images!.pull(id, attrs, op.platform);
            return {
              layers: img.layers,
              config: img.config,
              meta: { kind: "image", manifest: img.manifest },
            };
          },
        };
      }
      if (/^https?:\/\//i.test(id) || id.startsWith("git://")) {
        const remote = {
          store: this.#opts.store,
          opDigest: digest,
          keySalt: this.#layerKey,
          writeLayer: (dir: string, signal: AbortSignal) =>
            this.#writeLayer(undefined, dir, signal),
        };
        try {
          return id.startsWith("git://")
            ? gitSourceOp(parseGitIdentifier(id, attrs), remote)
            : httpSourceOp(parseHttpIdentifier(id, attrs), remote);
        } catch (err) {
          return { cacheMap: () => Promise.reject(err), exec: () => Promise.reject(err) };
        }
      }
      return unsupported(`source ${id.split("://")[0]}:// is not supported yet`);
    }
    if ("exec" in op) {
      const exec = op.exec;
      return {
        // How layers are written changes the result's blobs: part of the key.
        cacheMap: () =>
          Promise.resolve({
            digest: sha(`${digest}\0${this.#layerKey}`),
            deps: inputOps.map(() => ({})),
          }),
        exec: (inputs, ctx) =>
          runExecOp(
            {
              store: this.#opts.store,
              settings: this.#opts.exec ?? {},
              materialize: (r) => this.materialize(r),
              writeLayer: (changes, upper, signal) => this.#writeChanges(changes, upper, signal),
              busyCaches: this.#busyCaches,
            },
            exec,
            inputs,
            ctx,
          ),
      };
    }
    if ("file" in op) {
      const actions = op.file.actions as FileAction[];
      const localInputs = inputOps.map((e) =>
        "source" in e.op && e.op.source.identifier.startsWith("local://")
      );
      const selectors = inputOps.map((_, i) => selectorsFor(actions, i));
      return {
        cacheMap: () =>
          Promise.resolve({
            // How layers are written changes the result's blobs: part of the key.
            digest: sha(`${digest}\0${this.#layerKey}`),
            deps: inputOps.map((_, i) =>
              localInputs[i]
                ? { content: true, selector: selectors[i]!.map((s) => s.src).join(", ") || "/" }
                : {}
            ),
          }),
        contentChecksum: (i, ref) => {
          const scan = this.#scans.get(String(ref.meta?.op));
          if (!scan) return Promise.reject(new Error(`context scan for input ${i} is missing`));
          const sel = selectors[i]!;
          return Promise.resolve(
            selectionChecksum(scan, sel.length > 0 ? sel : [{ src: "/", wildcard: false }]),
          );
        },
        exec: (inputs, ctx) => this.#execFile(actions, inputs, ctx, name),
      };
    }
    if ("merge" in op) {
      return {
        cacheMap: plain,
        exec: (inputs) => {
          const layers: LayerRecord[] = [];
          for (const r of inputs) {
            let common = 0;
            while (
              common < layers.length && common < r.layers.length &&
              layers[common]!.diffId === r.layers[common]!.diffId
            ) common++;
            // A later input rebased on what came before: its own layers after the shared base.
            layers.push(...r.layers.slice(common === layers.length ? common : 0));
          }
          return Promise.resolve({ layers });
        },
      };
    }
    if ("diff" in op) {
      return {
        cacheMap: plain,
        exec: (inputs) => {
          const lower = inputs[op.diff.lower] ?? { layers: [] };
          const upper = inputs[op.diff.upper] ?? { layers: [] };
          const prefix = lower.layers.every((l, i) => upper.layers[i]?.diffId === l.diffId);
          if (!prefix) {
            return Promise.reject(
              new UnsupportedOpError("diff of unrelated states is not supported yet"),
            );
          }
          return Promise.resolve({ layers: upper.layers.slice(lower.layers.length) });
        },
      };
    }
    return unsupported("unknown op");
  }

  #scan(opDigest: string, localName: string, attrs: Record<string, string>): ContextScan {
    const cached = this.#scans.get(opDigest);
    if (cached) return cached;
    const dir = this.#opts.locals[localName];
    if (dir === undefined) throw new Error(`local source "${localName}" was not provided`);
    const include = parseJsonList(attrs["local.includepattern"] ?? attrs["local.includepatterns"]);
    const exclude = parseJsonList(attrs["local.excludepatterns"]);
    const follow = parseJsonList(attrs["local.followpaths"]);
    const sums = new ContextSumCache(
      path.join(this.#opts.store.root, "cache", "context-sums", sha(dir).slice(7, 39) + ".json"),
    );
    const scan = scanContext(dir, {
      ...(include ? { includePatterns: include } : {}),
      ...(exclude ? { excludePatterns: exclude } : {}),
      ...(follow ? { followPaths: follow } : {}),
    }, sums);
    sums.save();
    this.#scans.set(opDigest, scan);
    return scan;
  }

  /** The directory holding a result's files; `undefined` for an empty (scratch) result. */
  materialize(ref: CacheResult): Promise<string | undefined> {
    if (ref.meta?.kind === "local") return this.#contextView(String(ref.meta.op)).then((d) => d);
    const { snapshots } = this.#opts.store;
    if (ref.snapshotId !== undefined && snapshots.exists(ref.snapshotId)) {
      return Promise.resolve(snapshots.dir(ref.snapshotId));
    }
    if (ref.layers.length === 0) return Promise.resolve(undefined);
    const ids = chainIds(ref.layers.map((l) => l.diffId));
    const key = ids[ids.length - 1]!;
    let p = this.#materialized.get(key);
    if (!p) {
      p = this.#fromLayers(ref.layers, ids);
      this.#materialized.set(key, p);
    }
    return p;
  }

  async #fromLayers(layers: LayerRecord[], ids: string[]): Promise<string> {
    const { snapshots } = this.#opts.store;
    const content = this.#content;
    let start = ids.length;
    let parent: string | undefined;
    while (start > 0) {
      const id = this.#chains.get(ids[start - 1]!);
      if (id !== undefined && snapshots.exists(id)) {
        parent = id;
        break;
      }
      start--;
    }
    if (start === ids.length && parent) return snapshots.dir(parent);
    const m = await snapshots.create(parent);
    try {
      for (let i = start; i < layers.length; i++) {
        const l = layers[i]!;
        const applied = await applyLayer(content.get(l.digest), m.dir);
        if (applied.diffId !== l.diffId) {
          throw new Error(
            `layer ${l.digest}: uncompressed digest ${applied.diffId} does not match ${l.diffId}`,
          );
        }
      }
      const id = await snapshots.commit(m, { description: `layers ${ids[ids.length - 1]}` });
      this.#chains.set(ids[ids.length - 1]!, id);
      return snapshots.dir(id);
    } catch (err) {
      await snapshots.discard(m);
      throw err;
    }
  }

  /**
   * A temporary tree with the context entries that `selectors` take from the scan (all
   * of them when empty), linked rather than copied where possible.
   */
  #contextView(opDigest: string, selectors: ContextSelector[] = []): Promise<string> {
    const key = `${opDigest}\0${JSON.stringify(selectors)}`;
    let p = this.#views.get(key);
    if (!p) {
      p = new Promise<string>((resolve) => {
        const scan = this.#scans.get(opDigest);
        if (!scan) throw new Error("context view requested before the context was scanned");
        const dir = fs.mkdtempSync(path.join(this.#opts.store.root, "tmp-context-"));
        this.#temp.push(dir);
        linkSelection(scan, selectors, dir);
        resolve(dir);
      });
      this.#views.set(key, p);
    }
    return p;
  }

  async #execFile(
    actions: FileAction[],
    inputs: CacheResult[],
    ctx: ExecContext,
    name: string,
  ): Promise<CacheResult> {
    const { snapshots } = this.#opts.store;
    const content = this.#content;
    // The context is shown to a copy with only the entries its sources select.
    // Inputs only read from (copy sources) that end a RUN chain are shown through a
    // read-only overlay of the chain; inputs an action builds on need a real tree.
    const bases = new Set(
      actions.map((a) => a.input ?? -1).filter((i) => i >= 0 && i < inputs.length),
    );
    const unmounts: Array<() => Promise<void>> = [];
    const mountTmp = fs.mkdtempSync(path.join(this.#opts.store.root, "tmp-fileop-"));
    let dirs: Array<string | undefined>;
    try {
      dirs = await Promise.all(
        inputs.map(async (r, i) => {
          if (r.meta?.kind === "local") {
            return this.#contextView(String(r.meta.op), selectorsFor(actions, i));
          }
          if (!bases.has(i)) {
            const target = path.join(mountTmp, String(i));
            const undo = await mountStackReadOnly(this.#opts.store, r, target);
            if (undo !== undefined) {
              unmounts.push(undo);
              return target;
            }
          }
          return this.materialize(r);
        }),
      );
    } catch (err) {
      for (const u of unmounts) await u();
      fs.rmSync(mountTmp, { recursive: true, force: true });
      throw err;
    }
    const inputOwners = inputs.map((r) =>
      r.meta?.kind === "local" ? { uid: 0, gid: 0 } : undefined
    );
    const work = new Map<string, MutableSnapshot>();
    const createWorkDir = async (base: string | undefined): Promise<string> => {
      const baseId = base === undefined
        ? undefined
        : snapshotIdOf(base, snapshots.dir.bind(snapshots), inputs);
      let m: MutableSnapshot;
      if (base === undefined || baseId !== undefined) m = await snapshots.create(baseId);
      else {
        m = await snapshots.create();
        fs.rmSync(m.dir, { recursive: true, force: true });
        cloneTree(base, m.dir);
      }
      work.set(m.dir, m);
      return m.dir;
    };
    try {
      const outputs = await executeFileOp(actions, {
        inputs: dirs,
        createWorkDir,
        signal: ctx.signal,
        inputOwners,
      });
      const outDir = outputs[0];
      if (outDir === undefined) throw new Error("file op produced no output");
      const baseIndex = baseInputOf(actions, inputs.length);
      const base = baseIndex === undefined ? undefined : inputs[baseIndex];
      const baseDir = baseIndex === undefined ? undefined : dirs[baseIndex];
      const layer = await this.#writeLayer(baseDir, outDir, ctx.signal);
      const m = work.get(outDir);
      if (!m) throw new Error("file op output is not a work directory");
      work.delete(outDir);
      const snapshotId = await snapshots.commit(m, { description: name });
      const layers = [...(base?.layers ?? []), layer];
      this.#chains.set(chainIds(layers.map((l) => l.diffId)).at(-1)!, snapshotId);
      void content;
      return { snapshotId, layers };
    } finally {
      for (const m of work.values()) await snapshots.discard(m);
      for (const u of unmounts) await u();
      fs.rmSync(mountTmp, { recursive: true, force: true });
    }
  }

  #writeLayer(
    lowerDir: string | undefined,
    upperDir: string,
    signal: AbortSignal,
  ): Promise<LayerRecord> {
    return this.#writeChanges(diffTrees(lowerDir, upperDir), upperDir, signal);
  }

  async #writeChanges(
    changes: Change[],
    upperDir: string,
    signal: AbortSignal,
  ): Promise<LayerRecord> {
    const content = this.#content;
    const w = await content.writer();
    try {
      const s = this.#opts.layers;
      const r = await writeLayer(changes, upperDir, {
        sink: w,
        compression: s.compression,
        ...(s.level !== undefined ? { level: s.level } : {}),
        ...(s.sourceDateEpoch !== undefined ? { sourceDateEpoch: s.sourceDateEpoch } : {}),
        ...(s.rewriteTimestamp ? { rewriteTimestamp: true } : {}),
        signal,
      });
      await w.commit({ digest: r.digest, size: r.size });
      const rec: LayerRecord = {
        mediaType: r.mediaType,
        digest: r.digest,
        size: r.size,
        diffId: r.diffId,
        uncompressedSize: r.uncompressedSize,
        // Kept with the cached result, so a rebuild from cache writes the same history.
        created: new Date().toISOString(),
      };
      if (s.rewriteTimestamp && s.sourceDateEpoch !== undefined) {
        rec.annotations = { "buildkit/rewritten-timestamp": String(s.sourceDateEpoch) };
      }
      return rec;
    } catch (err) {
      await w.abort();
      throw err;
    }
  }

  /** Removes the temporary trees of this build. */
  close(): void {
    for (const d of this.#temp.splice(0)) removeTree(d);
  }
}

function unsupported(message: string): SolverOp<CacheResult> {
  return {
    cacheMap: () => Promise.reject(new UnsupportedOpError(message)),
    exec: () => Promise.reject(new UnsupportedOpError(message)),
  };
}

/** Which op input (if any) the final output of a file op is built on. */
export function baseInputOf(actions: FileAction[], nInputs: number): number | undefined {
  let a = actions.find((x) => x.output === 0) ?? actions[actions.length - 1];
  for (let guard = 0; a && guard <= actions.length; guard++) {
    const input = a.input ?? -1;
    if (input < 0) return undefined;
    if (input < nInputs) return input;
    a = actions[input - nInputs];
  }
  return undefined;
}

/** What the copy actions of a file op read from op input `index`. */
export function selectorsFor(actions: FileAction[], index: number): ContextSelector[] {
  const out: ContextSelector[] = [];
  for (const a of actions) {
    if (a.type === "copy" && a.secondaryInput === index) {
      out.push({ src: a.src, wildcard: a.allowWildcard === true });
    } else if (a.input === index) out.push({ src: "/", wildcard: false });
  }
  return out;
}

function snapshotIdOf(
  dir: string,
  dirOf: (id: string) => string,
  inputs: CacheResult[],
): string | undefined {
  for (const r of inputs) {
    if (r.snapshotId !== undefined && dirOf(r.snapshotId) === dir) return r.snapshotId;
  }
  return undefined;
}
