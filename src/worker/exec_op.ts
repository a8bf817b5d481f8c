// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The exec op (RUN): its inputs become an overlay rootfs and mounts, the process runs
 * in crun or runc, and what it changed becomes the step's layer. Logs stream to the
 * progress events and, whole and never clipped, to a file in the store.
 *
 * @module
 */

import type { ExecOp, Mount } from "../llb/mod.ts";
import type { ExecContext } from "../solver/mod.ts";
import { type CacheResult, cloneTree, type Store } from "../store/mod.ts";
import { createHash, fs, inUserNamespace, net, path, process } from "../runtime/mod.ts";
import { type ExecMount, runCommand, unmount } from "./exec_mounts.ts";
import { runContainer } from "./exec_runtime.ts";
import { upperToChanges } from "./exec_changes.ts";
import type { Change } from "../archive/mod.ts";

/** What RUN steps may use beyond their inputs. */
export interface ExecSettings {
  /** `--secret id=…`: the secret bytes by id. */
  secrets?: Record<string, Uint8Array>;
  /** `--ssh id=socket`: agent sockets by id. */
  ssh?: Record<string, string>;
  /** `--allow`: granted entitlements (`network.host`, `security.insecure`). */
  entitlements?: string[];
  /** Path of the OCI runtime (crun or runc); default: found on PATH, crun preferred. */
  runtime?: string;
}

/** A RUN that exited non-zero, with the end of its output. */
export class ExecFailedError extends Error {
  readonly exitCode: number;
  readonly logTail: string[];
  readonly logFile: string;
  constructor(args: string[], exitCode: number, logTail: string[], logFile: string) {
    const shown = args.join(" ");
    super(
      `process "${shown}" did not complete successfully: exit code: ${exitCode}` +
        (logTail.length > 0 ? `\n${logTail.map((l) => `  > ${l}`).join("\n")}` : ""),
    );
    this.name = "ExecFailedError";
    this.exitCode = exitCode;
    this.logTail = logTail;
    this.logFile = logFile;
  }
}

/** What the worker lends the exec op. */
export interface ExecHost {
  store: Store;
  settings: ExecSettings;
  materialize(ref: CacheResult): Promise<string | undefined>;
  writeLayer(
    changes: Change[],
    upperDir: string,
    signal: AbortSignal,
  ): Promise<CacheResult["layers"][number]>;
  /** Cache mount directories in use by this process, for `sharing=private`. */
  busyCaches: Set<string>;
}

const TAIL_LINES = 10;

function sha(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

function proxyEnv(p: ExecOp["meta"]["proxyEnv"]): string[] {
  if (!p) return [];
  const out: string[] = [];
  const add = (k: string, v: string | undefined) => {
    if (v !== undefined) out.push(`${k}=${v}`, `${k.toLowerCase()}=${v}`);
  };
  add("HTTP_PROXY", p.httpProxy);
  add("HTTPS_PROXY", p.httpsProxy);
  add("FTP_PROXY", p.ftpProxy);
  add("NO_PROXY", p.noProxy);
  add("ALL_PROXY", p.allProxy);
  return out;
}

/** Inside-root path of a selector (`/sub/dir` of an input), refusing `..` that climbs out. */
function selectorPath(root: string, selector: string | undefined): string {
  if (!selector || selector === "/") return root;
  const parts: string[] = [];
  for (const p of selector.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  const full = path.join(root, ...parts);
  const real = fs.realpathSync(full);
  const realRoot = fs.realpathSync(root);
  if (real !== realRoot && !real.startsWith(realRoot + "/")) {
    throw new Error(`mount source ${selector} escapes its input`);
  }
  return real;
}

/** A chain of RUN results: the snapshot under it and each step's upper dir with its opaque dirs. */
interface RunStack {
  base: string;
  diffs: Array<{ id: string; opaque: string[] }>;
}

/**
 * A read-only view of a RUN chain's result for steps that only read it (a `COPY --from`
 * of a stage ending in RUN steps): an overlay of its stack with no upper dir, which
 * costs a mount instead of re-creating the tree. `undefined` when the result has no
 * usable stack or the mount fails (the caller then makes the whole tree).
 */
export async function mountStackReadOnly(
  store: Store,
  ref: CacheResult,
  target: string,
): Promise<(() => Promise<void>) | undefined> {
  const stack = ref.meta?.stack;
  const { snapshots } = store;
  if (
    !isRunStack(stack) || stack.diffs.length === 0 || !snapshots.exists(stack.base) ||
    !stack.diffs.every((d) => snapshots.exists(d.id))
  ) return undefined;
  const dirs = [snapshots.dir(stack.base), ...stack.diffs.map((d) => snapshots.dir(d.id))];
  const lower = dirs.reverse().join(":");
  if (lower.length > 3000 || /[,\\\n]/.test(lower)) return undefined;
  fs.mkdirSync(target, { recursive: true });
  const opts = `lowerdir=${lower}${inUserNamespace() ? ",userxattr" : ""}`;
  const r = await runCommand("mount", ["-t", "overlay", "overlay", "-o", opts, "-r", target]);
  if (r.code !== 0) return undefined;
  return () => unmount(target);
}

/** How deep a stack of upper dirs may grow before a step starts from a whole tree again. */
const MAX_STACK = 24;

function isRunStack(v: unknown): v is RunStack {
  const s = v as RunStack | undefined;
  return typeof s?.base === "string" && Array.isArray(s.diffs) &&
    s.diffs.every((d) => typeof d?.id === "string" && Array.isArray(d.opaque));
}

/** The lower dirs (bottom first) for a step on `ref`, and the stack they continue. */
async function rootLowers(
  host: ExecHost,
  ref: CacheResult,
): Promise<{ dirs: string[]; opaque: string[][]; stack: RunStack | undefined }> {
  const { snapshots } = host.store;
  const stack = ref.meta?.stack;
  if (
    isRunStack(stack) && stack.diffs.length < MAX_STACK && snapshots.exists(stack.base) &&
    stack.diffs.every((d) => snapshots.exists(d.id))
  ) {
    const dirs = [snapshots.dir(stack.base), ...stack.diffs.map((d) => snapshots.dir(d.id))];
    // overlayfs takes the whole lowerdir list in one mount option of at most a page.
    if (dirs.join(":").length < 3000) {
      return { dirs, opaque: [[], ...stack.diffs.map((d) => d.opaque)], stack };
    }
  }
  const dir = await host.materialize(ref);
  if (dir === undefined) return { dirs: [], opaque: [], stack: undefined };
  const id = /\/snapshots\/([0-9a-f]{32})\/fs$/.exec(dir)?.[1];
  return {
    dirs: [dir],
    opaque: [[]],
    stack: id !== undefined ? { base: id, diffs: [] } : undefined,
  };
}

/** Runs one exec op; returns the result of its root mount. */
export async function runExecOp(
  host: ExecHost,
  op: ExecOp,
  inputs: CacheResult[],
  ctx: ExecContext,
): Promise<CacheResult> {
  const { store, settings } = host;
  const meta = op.meta;
  const tmp = fs.mkdtempSync(path.join(store.root, "tmp-exec-"));
  const release: Array<() => void> = [];
  try {
    const mountsIn: Mount[] = op.mounts ?? [];
    const rootMount = mountsIn.find((m) => m.dest === "/");
    const rootInput = rootMount?.input ?? -1;
    const rootRef: CacheResult = rootInput >= 0 ? inputs[rootInput]! : { layers: [] };
    // The root filesystem: the input's snapshot, or — for a chain of RUN steps — the
    // snapshot under the chain plus each earlier step's upper dir, stacked as overlay
    // lowers, so that no step has to re-create its parent's tree.
    let lowers = await rootLowers(host, rootRef);
    if (lowers.dirs.length === 0) {
      const empty = path.join(tmp, "empty-root");
      fs.mkdirSync(empty);
      lowers = { dirs: [empty], opaque: [[]], stack: undefined };
    }
    const upper = path.join(tmp, "upper");
    fs.mkdirSync(upper);

    const mounts: ExecMount[] = [];
    for (const m of mountsIn) {
      if (m.dest === "/") continue;
      const type = m.type ?? "bind";
      const input = m.input ?? -1;
      const sourceDir = async () => {
        if (input < 0) {
          const d = fs.mkdtempSync(path.join(tmp, "scratch-"));
          return d;
        }
        const dir = await host.materialize(inputs[input]!);
        if (dir === undefined) return fs.mkdtempSync(path.join(tmp, "scratch-"));
        return selectorPath(dir, m.selector);
      };
      if (type === "bind") {
        let src = await sourceDir();
        if (!m.readonly) {
          // Writes to a read-write bind are discarded: give the step its own copy.
          const copy = path.join(fs.mkdtempSync(path.join(tmp, "rw-")), "tree");
          if (fs.statSync(src).isDirectory()) cloneTree(src, copy, { deep: true });
          else fs.copyFileSync(src, copy);
          src = copy;
        }
        mounts.push({ type: "bind", source: src, dest: m.dest, readonly: m.readonly === true });
      } else if (type === "tmpfs") {
        mounts.push({
          type: "tmpfs",
          dest: m.dest,
          ...(m.tmpfsOpt?.size ? { size: m.tmpfsOpt.size } : {}),
        });
      } else if (type === "cache") {
        const id = m.cacheOpt?.id ?? m.dest;
        const key = sha(id);
        let dir = path.join(store.root, "cache-mounts", key);
        const sharing = m.cacheOpt?.sharing ?? "shared";
        if (sharing === "locked") {
          const lock = await store.locks.acquire(`cache-mount-${key}`);
          release.push(() => void lock.release());
        } else if (sharing === "private" && host.busyCaches.has(dir)) {
          dir = fs.mkdtempSync(path.join(tmp, "cache-private-"));
        }
        if (!fs.existsSync(dir)) {
          const seed = path.join(path.dirname(dir), `.${key}.${process.pid}.tmp`);
          fs.rmSync(seed, { recursive: true, force: true });
          if (input >= 0) cloneTree(await sourceDir(), seed, { deep: true });
          else fs.mkdirSync(seed, { recursive: true, mode: 0o755 });
          fs.mkdirSync(path.dirname(dir), { recursive: true });
          try {
            fs.renameSync(seed, dir);
          } catch {
            fs.rmSync(seed, { recursive: true, force: true }); // another build made it first
          }
          fs.writeFileSync(path.join(path.dirname(dir), `${key}.id`), id);
        }
        host.busyCaches.add(dir);
        const busy = dir;
        release.push(() => host.busyCaches.delete(busy));
        mounts.push({
          type: "cache",
          source: dir,
          dest: m.dest,
          ...(m.readonly ? { readonly: true } : {}),
        });
      } else if (type === "secret") {
        const o = m.secretOpt!;
        const data = settings.secrets?.[o.id];
        if (data === undefined) {
          if (o.optional) continue;
          throw new Error(
            `secret ${o.id}: not provided (give it with --secret id=${o.id},src=FILE or env=VAR)`,
          );
        }
        mounts.push({
          type: "secret",
          data,
          dest: m.dest,
          uid: o.uid ?? 0,
          gid: o.gid ?? 0,
          mode: o.mode ?? 0o400,
        });
      } else if (type === "ssh") {
        const o = m.sshOpt ?? {};
        const id = o.id ?? "default";
        const socket = settings.ssh?.[id];
        if (socket === undefined) {
          if (o.optional) continue;
          throw new Error(
            `no SSH agent for id "${id}" (give one with --ssh ${
              id === "default" ? "default" : `${id}=PATH`
            })`,
          );
        }
        // The step gets a socket of its own that forwards to the agent: the executor sets
        // the owner and mode the step asks for, which must not touch the user's socket.
        const proxy = path.join(tmp, `ssh-${mounts.length}.sock`);
        release.push(await forwardSocket(proxy, socket));
        mounts.push({
          type: "ssh",
          socket: proxy,
          dest: m.dest,
          uid: o.uid ?? 0,
          gid: o.gid ?? 0,
          mode: o.mode ?? 0o600,
        });
      }
    }

    const env = [...(meta.env ?? []), ...proxyEnv(meta.proxyEnv)];
    for (const s of op.secretEnv ?? []) {
      const data = settings.secrets?.[s.id];
      if (data === undefined) {
        if (s.optional) continue;
        throw new Error(
          `secret ${s.id}: not provided (give it with --secret id=${s.id},src=FILE or env=VAR)`,
        );
      }
      env.push(`${s.name}=${new TextDecoder().decode(data)}`);
    }

    const logDir = path.join(store.root, "logs");
    fs.mkdirSync(logDir, { recursive: true });
    const logFile = path.join(logDir, `${ctx.digest.replace(/^sha256:/, "")}.log`);
    const log = fs.openSync(logFile, "w");
    const tail: string[] = [];
    let partial = "";
    const decoder = new TextDecoder();
    const collect = (stream: 1 | 2) => (chunk: Uint8Array) => {
      fs.writeSync(log, chunk);
      ctx.emit({ type: "vertex.log", digest: ctx.digest, stream, data: chunk, time: Date.now() });
      const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = lines.pop() ?? "";
      tail.push(...lines);
      if (tail.length > TAIL_LINES) tail.splice(0, tail.length - TAIL_LINES);
    };
    let res;
    const run = () =>
      runContainer({
        rootLowerDirs: lowers.dirs,
        ...(lowers.dirs.length > 1 ? { rootLowerOpaque: lowers.opaque } : {}),
        upperDir: upper,
        args: meta.args,
        env,
        cwd: meta.cwd || "/",
        ...(meta.user ? { user: meta.user } : {}),
        ...(meta.hostname ? { hostname: meta.hostname } : {}),
        mounts,
        network: op.network === "none" ? "none" : op.network === "host" ? "host" : "default",
        security: op.security === "insecure" ? "insecure" : "sandbox",
        ...(meta.extraHosts ? { extraHosts: meta.extraHosts } : {}),
        stdout: collect(1),
        stderr: collect(2),
        signal: ctx.signal,
        ...(settings.runtime ? { runtime: settings.runtime } : {}),
      });
    try {
      try {
        res = await run();
      } catch (err) {
        // Stacked lowers need overlayfs: without it, run on the whole tree instead.
        if ((err as Error).name !== "RootfsMountError" || lowers.dirs.length === 1) throw err;
        const full = await host.materialize(rootRef);
        if (full === undefined) throw err;
        lowers = { dirs: [full], opaque: [[]], stack: undefined };
        res = await run();
      }
    } finally {
      fs.closeSync(log);
    }
    if (partial !== "") tail.push(partial);
    const valid = meta.validExitCodes ?? [0];
    if (!valid.includes(res.exitCode)) {
      throw new ExecFailedError(meta.args, res.exitCode, tail.slice(-TAIL_LINES), logFile);
    }
    const changes = upperToChanges(upper, {
      lowerDirs: lowers.dirs,
      lowerOpaque: lowers.opaque,
      opaqueDirs: res.opaqueDirs,
    });
    const layer = await host.writeLayer(changes, upper, ctx.signal);
    const result: CacheResult = { layers: [...rootRef.layers, layer] };
    if (lowers.stack !== undefined) {
      // Keep the upper dir as this step's diff: the next RUN stacks it as a lower.
      const m = await store.snapshots.create();
      fs.rmSync(m.dir, { recursive: true, force: true });
      fs.renameSync(upper, m.dir);
      const id = await store.snapshots.commit(m, { description: `diff of ${ctx.digest}` });
      const stack: RunStack = {
        base: lowers.stack.base,
        diffs: [...lowers.stack.diffs, { id, opaque: res.opaqueDirs }],
      };
      result.meta = { stack };
    }
    return result;
  } finally {
    for (const r of release.reverse()) r();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Listens on `listenPath` and pipes every connection to the Unix socket `target`. */
export function forwardSocket(listenPath: string, target: string): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const conns = new Set<net.Socket>();
    const server = net.createServer((client) => {
      const upstream = net.createConnection(target);
      conns.add(client);
      conns.add(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        conns.delete(client);
        conns.delete(upstream);
      };
      client.on("error", end);
      upstream.on("error", end);
      client.on("close", end);
      upstream.on("close", end);
    });
    server.on("error", reject);
    server.listen(listenPath, () =>
      resolve(() => {
        for (const c of conns) c.destroy();
        server.close();
      }));
  });
}
