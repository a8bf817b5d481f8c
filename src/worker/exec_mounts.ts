// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The file systems of a RUN step: the root filesystem (an overlay of the
 * snapshot layers with the caller's upper directory, or a copy when overlayfs
 * is not available), the step's mounts in OCI form (bind, tmpfs, cache,
 * secret, ssh), and mount-target stubs that leave no trace in the diff.
 *
 * Mount stubs: a runtime creates a missing mount target inside the root
 * filesystem, which would leave an empty file or directory (and a copied-up
 * parent) in the upper directory. As BuildKit does (`executor/stubs.go`), the
 * executor creates missing targets itself, records them, and after the step
 * removes those still empty, restores their parents' modification times, and
 * removes parents that overlayfs copied up only for them.
 *
 * @module
 */

import { fs, fsp, lchownSquash, path, randomUUID, spawn, spawnSync } from "../runtime/mod.ts";
import { diffTrees } from "../archive/mod.ts";
import type { OciMount } from "./exec_spec.ts";
import { resolveInRoot } from "./path_safe.ts";

/** One mount of a RUN step. */
export type ExecMount =
  /** A host directory or file (a snapshot, the build context), read-only unless `readonly: false`. */
  | { type: "bind"; source: string; dest: string; readonly: boolean }
  /** A fresh tmpfs; `size` in bytes. */
  | { type: "tmpfs"; dest: string; size?: number }
  /** A persistent directory the caller made (`RUN --mount=type=cache`), read-write by default. */
  | { type: "cache"; source: string; dest: string; readonly?: boolean }
  /** A secret's bytes, shown as a read-only file owned by uid:gid with `mode`. */
  | { type: "secret"; data: Uint8Array; dest: string; uid: number; gid: number; mode: number }
  /**
   * An SSH agent socket. The socket file itself is bind-mounted and given
   * uid/gid/mode, so pass a socket made for this step (a forwarding proxy),
   * not the user's own agent socket.
   */
  | { type: "ssh"; socket: string; dest: string; uid: number; gid: number; mode: number };

/** Runs a command, resolving with its exit status and stderr. */
export function runCommand(
  cmd: string,
  args: string[],
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (c: Uint8Array) => {
      if (stderr.length < 4096) stderr += new TextDecoder().decode(c);
    });
    child.on("error", reject);
    child.on(
      "close",
      (code: number | null, sig: string | null) =>
        resolve({ code: code ?? (sig ? 128 : 1), stderr: stderr.trim() }),
    );
  });
}

/** Thrown when the root filesystem cannot be mounted. */
export class RootfsMountError extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "RootfsMountError";
  }
}

/** How the root filesystem was made. */
export type RootfsMode = "overlay" | "copy";

/** Options of {@linkcode mountRootfs}. */
export interface MountRootfsOptions {
  /** Lower layers, bottom first. */
  lowerDirs: string[];
  /** The overlay upper directory (must exist). */
  upperDir: string;
  /** overlayfs work directory (created; same file system as upperDir). */
  workDir: string;
  /** `overlay`, `copy`, or `auto` (overlay, else copy for a single lower dir). Default auto. */
  mode?: RootfsMode | "auto";
}

/**
 * Mounts the root filesystem at `target` (an existing empty directory).
 *
 * - overlay: `mount -t overlay -o lowerdir=…,upperdir=…,workdir=…`; the lower
 *   list is given top first as overlayfs wants it.
 * - copy (fallback when overlay cannot be mounted and there is exactly one
 *   lower dir, or when asked): `cp -a` of the lower dir into `target`; after
 *   the step {@linkcode copyChangesToUpper} writes the changes into the upper
 *   dir in overlay form, so the caller sees the same result either way.
 */
export async function mountRootfs(
  target: string,
  options: MountRootfsOptions,
): Promise<RootfsMode> {
  const mode = options.mode ?? "auto";
  if (options.lowerDirs.length === 0) throw new RootfsMountError("no lower directory given");
  if (mode !== "copy") {
    const bad = [...options.lowerDirs, options.upperDir, options.workDir].find((p) =>
      /[,:\\\n]/.test(p)
    );
    if (bad !== undefined) {
      throw new RootfsMountError(`cannot use ${JSON.stringify(bad)} in an overlay mount`);
    }
    await fsp.mkdir(options.workDir, { recursive: true });
    const lower = [...options.lowerDirs].reverse().join(":");
    const opts = `lowerdir=${lower},upperdir=${options.upperDir},workdir=${options.workDir}`;
    if (opts.length > 4000) {
      throw new RootfsMountError(
        `overlay mount options are ${opts.length} bytes, over the kernel's page limit`,
      );
    }
    const r = await runCommand("mount", ["-t", "overlay", "overlay", "-o", opts, target]);
    if (r.code === 0) return "overlay";
    if (mode === "overlay" || options.lowerDirs.length !== 1) {
      throw new RootfsMountError(`mounting the overlay root filesystem failed: ${r.stderr}`);
    }
  }
  if (options.lowerDirs.length !== 1) {
    throw new RootfsMountError("a copied root filesystem needs exactly one lower directory");
  }
  const r = await runCommand("cp", ["-a", "--", options.lowerDirs[0] + "/.", target]);
  if (r.code !== 0) throw new RootfsMountError(`copying the root filesystem failed: ${r.stderr}`);
  return "copy";
}

/** Unmounts `target` (lazily if it is busy); ignores a target that is not mounted. */
export async function unmount(target: string): Promise<void> {
  const r = await runCommand("umount", [target]);
  if (r.code === 0 || /not mounted|no mount point/i.test(r.stderr)) return;
  const l = await runCommand("umount", ["-l", target]);
  if (l.code !== 0 && !/not mounted|no mount point/i.test(l.stderr)) {
    throw new Error(`unmounting ${target} failed: ${r.stderr}; ${l.stderr}`);
  }
}

function isWhiteoutStat(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/**
 * After a step on a copied root filesystem: writes the changes from
 * `options.lowerDir` to `rootfsCopy` into `upperDir` the way overlayfs would (files and
 * directories copied with their metadata, deletions as 0/0 character devices;
 * a directory replaced by a non-directory is a plain replacement).
 */
export async function copyChangesToUpper(
  rootfsCopy: string,
  upperDir: string,
  options: { lowerDir: string; scratchDir: string },
): Promise<void> {
  const lowerDir = options.lowerDir;
  const changes = diffTrees(lowerDir, rootfsCopy, { compareContent: true });
  const paths: string[] = [];
  for (const c of changes) {
    if (c.kind === "delete") {
      const replaced = changes.some((o) => o.kind !== "delete" && o.path === c.path);
      if (replaced) continue;
      await fsp.mkdir(path.join(upperDir, path.dirname(c.path)), { recursive: true });
      const r = spawnSync("mknod", [path.join(upperDir, c.path), "c", "0", "0"]);
      if (r.status !== 0) throw new Error(`mknod whiteout ${c.path} failed: ${r.stderr}`);
    } else {
      paths.push(c.path);
    }
  }
  if (paths.length === 0) return;
  // Parents first (diffTrees' order), one tar pipe: keeps owners, modes, xattrs and ns mtimes.
  const list = path.join(options.scratchDir, `.copy-list-${randomUUID()}`);
  await fsp.writeFile(list, paths.join("\0") + "\0");
  try {
    const r = spawnSync("sh", [
      "-c",
      'tar -C "$1" --format=posix --no-recursion --null -T "$2" -cf - | tar -C "$3" -xpf -',
      "sh",
      rootfsCopy,
      list,
      upperDir,
    ]);
    if (r.status !== 0) throw new Error(`copying changes failed: ${r.stderr}`);
  } finally {
    await fsp.rm(list, { force: true });
  }
}

/** One created entry (relative to the root, no leading `/`). */
interface CreatedEntry {
  rel: string;
  kind: "file" | "dir";
}

/** An existing ancestor of a stub: its state before, to restore its mtime. */
interface StubParent {
  rel: string;
  mtimeNsBefore: bigint;
  mode: number;
  uid: number;
  gid: number;
  /** mtime right after the stubs were made (to tell whether the step touched it). */
  mtimeNsAfter?: bigint;
  /** Whether it was in the upper directory before (false: an overlay copy-up made for a stub). */
  inUpperBefore: boolean;
}

/** What {@linkcode createMountStubs} made, for {@linkcode removeMountStubs}. */
export interface MountStubs {
  /** Created entries, in creation order. */
  created: CreatedEntry[];
  /** Existing ancestors of created entries, deepest first. */
  parents: StubParent[];
}

/** A mount target to make sure exists. */
export interface StubTarget {
  /** Absolute path in the container. */
  dest: string;
  /** Create a file (for a file bind) or a directory. */
  kind: "file" | "dir";
}

function relOf(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join("/");
}

/**
 * Creates the missing mount targets inside the mounted root filesystem
 * `rootfs` (symbolic links resolved inside the root, as runtimes do) and
 * records what it created. With `upperDir`, also records which ancestors
 * were in the upper directory before (the others are overlay copy-ups).
 */
export async function createMountStubs(
  rootfs: string,
  targets: readonly StubTarget[],
  options: { upperDir?: string } = {},
): Promise<MountStubs> {
  const stubs: MountStubs = { created: [], parents: [] };
  const seenParents = new Set<string>();
  for (const t of targets) {
    const abs = await resolveInRoot(rootfs, t.dest);
    if (fs.existsSync(abs) || isDanglingLink(abs)) continue;
    // Walk up to the deepest existing ancestor.
    const missing: string[] = [];
    let cur = abs;
    while (!fs.existsSync(cur)) {
      missing.unshift(cur);
      const up = path.dirname(cur);
      if (up === cur) break;
      cur = up;
    }
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      continue;
    }
    if (!st.isDirectory()) continue; // the runtime reports the error
    // Record every existing ancestor (deepest first) before anything is created under it.
    let anc = cur;
    for (;;) {
      const rel = relOf(rootfs, anc);
      if (!seenParents.has(rel)) {
        seenParents.add(rel);
        const s = fs.lstatSync(anc, { bigint: true });
        const parent: StubParent = {
          rel,
          mtimeNsBefore: s.mtimeNs,
          mode: Number(s.mode),
          uid: Number(s.uid),
          gid: Number(s.gid),
          inUpperBefore: true,
        };
        if (options.upperDir !== undefined) {
          parent.inUpperBefore = fs.existsSync(path.join(options.upperDir, rel));
        }
        stubs.parents.push(parent);
      }
      if (rel === "") break;
      anc = path.dirname(anc);
    }
    try {
      for (let i = 0; i < missing.length; i++) {
        const p = missing[i]!;
        if (i === missing.length - 1 && t.kind === "file") {
          fs.writeFileSync(p, "", { mode: 0o644, flag: "wx" });
          stubs.created.push({ rel: relOf(rootfs, p), kind: "file" });
        } else {
          fs.mkdirSync(p, { mode: 0o755 });
          stubs.created.push({ rel: relOf(rootfs, p), kind: "dir" });
        }
      }
    } catch {
      continue;
    }
  }
  // Creating an entry changes its directory's mtime: record the values after.
  for (const p of stubs.parents) {
    p.mtimeNsAfter = fs.lstatSync(path.join(rootfs, p.rel), { bigint: true }).mtimeNs;
  }
  stubs.parents.sort((a, b) => b.rel.split("/").length - a.rel.split("/").length);
  return stubs;
}

function isDanglingLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function setMtimeNs(p: string, ns: bigint): void {
  const sec = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0");
  const r = spawnSync("touch", ["-c", "-h", "-m", "-d", `@${sec}.${frac}`, p]);
  if (r.status !== 0) {
    // Microsecond precision at worst.
    const t = Number(ns) / 1e9;
    fs.utimesSync(p, t, t);
  }
}

/**
 * Removes the stubs recorded by {@linkcode createMountStubs} from `dir` (the
 * overlay upper directory after unmounting, or the copied root filesystem):
 * each created entry still empty (a file of size 0, a directory without
 * entries) is removed, newest first; then each ancestor whose mtime the step
 * did not change gets its old mtime back, and an ancestor that overlayfs
 * copied up only for a stub (empty, same owner, mode and mtime as before,
 * absent from `dir` before the step) is removed too.
 */
export function removeMountStubs(dir: string, stubs: MountStubs): void {
  // Whether the step changed an ancestor's entries, read before removing anything.
  const untouched = new Set<string>();
  for (const par of stubs.parents) {
    try {
      const st = fs.lstatSync(path.join(dir, par.rel), { bigint: true });
      if (st.isDirectory() && st.mtimeNs === par.mtimeNsAfter) untouched.add(par.rel);
    } catch {
      // absent
    }
  }
  for (let i = stubs.created.length - 1; i >= 0; i--) {
    const c = stubs.created[i]!;
    const p = path.join(dir, c.rel);
    try {
      const st = fs.lstatSync(p);
      if (c.kind === "file" && st.isFile() && st.size === 0) fs.unlinkSync(p);
      else if (c.kind === "dir" && st.isDirectory() && fs.readdirSync(p).length === 0) {
        fs.rmdirSync(p);
      }
    } catch {
      // gone already, or kept by the step
    }
  }
  for (const par of stubs.parents) {
    if (!untouched.has(par.rel)) continue;
    const p = path.join(dir, par.rel);
    // A parent that was itself a stub (made for an earlier target) is gone already.
    if (!fs.existsSync(p)) continue;
    let st = fs.lstatSync(p, { bigint: true });
    if (st.mtimeNs !== par.mtimeNsBefore) {
      setMtimeNs(p, par.mtimeNsBefore);
      st = fs.lstatSync(p, { bigint: true });
    }
    if (par.rel === "" || par.inUpperBefore) continue;
    if (
      st.mtimeNs === par.mtimeNsBefore && Number(st.mode) === par.mode &&
      Number(st.uid) === par.uid && Number(st.gid) === par.gid &&
      fs.readdirSync(p).length === 0
    ) {
      try {
        fs.rmdirSync(p);
      } catch {
        // keep it
      }
    }
  }
}

/** The step's mounts in OCI form, the stub kind of each, and what to clean up. */
export interface PreparedMounts {
  /** OCI mounts, in the request's order. */
  mounts: OciMount[];
  /** Targets to stub (one per mount). */
  targets: StubTarget[];
  /** Removes secret files and their tmpfs. */
  cleanup(): Promise<void>;
}

function cleanDest(dest: string): string {
  if (!dest.startsWith("/")) throw new Error(`mount target ${dest} is not absolute`);
  const d = path.posix.normalize(dest).replace(/\/+$/, "");
  if (d === "" || d === "/") throw new Error("mount target / is not allowed");
  return d;
}

/**
 * Turns the step's mounts into OCI mounts. Secrets are written into
 * `secretsDir` (a tmpfs is mounted there when possible so that secret bytes
 * never reach a disk; otherwise plain files mode 0700 dir), each file with
 * its mode/uid/gid, and bind-mounted read-only.
 */
export async function prepareMounts(
  mounts: readonly ExecMount[],
  secretsDir: string,
): Promise<PreparedMounts> {
  const out: OciMount[] = [];
  const targets: StubTarget[] = [];
  let secretsMounted = false;
  let secretsMade = false;
  const cleanup = async () => {
    if (secretsMounted) await unmount(secretsDir);
    if (secretsMade) await fsp.rm(secretsDir, { recursive: true, force: true });
  };
  try {
    let n = 0;
    for (const m of mounts) {
      const dest = cleanDest(m.dest);
      switch (m.type) {
        case "bind":
        case "cache": {
          const st = await fsp.stat(m.source);
          const ro = m.type === "bind" ? m.readonly : m.readonly === true;
          out.push({
            destination: dest,
            type: "bind",
            source: m.source,
            options: ["rbind", ro ? "ro" : "rw"],
          });
          targets.push({ dest, kind: st.isDirectory() ? "dir" : "file" });
          break;
        }
        case "tmpfs": {
          const options = ["nosuid", "nodev"];
          if (m.size !== undefined && m.size > 0) options.push(`size=${Math.floor(m.size)}`);
          out.push({ destination: dest, type: "tmpfs", source: "tmpfs", options });
          targets.push({ dest, kind: "dir" });
          break;
        }
        case "secret": {
          if (!secretsMade) {
            await fsp.mkdir(secretsDir, { mode: 0o700 });
            secretsMade = true;
            const r = await runCommand("mount", [
              "-t",
              "tmpfs",
              "-o",
              "mode=0700,size=16m,nosuid,nodev,noexec",
              "tmpfs",
              secretsDir,
            ]);
            secretsMounted = r.code === 0;
          }
          const file = path.join(secretsDir, `secret-${n++}`);
          await fsp.writeFile(file, m.data, { mode: 0o600 });
          await lchownSquash(file, m.uid, m.gid);
          await fsp.chmod(file, m.mode & 0o7777);
          out.push({
            destination: dest,
            type: "bind",
            source: file,
            options: ["rbind", "ro", "nosuid", "nodev", "noexec"],
          });
          targets.push({ dest, kind: "file" });
          break;
        }
        case "ssh": {
          await lchownSquash(m.socket, m.uid, m.gid);
          await fsp.chmod(m.socket, m.mode & 0o7777);
          out.push({ destination: dest, type: "bind", source: m.socket, options: ["rbind"] });
          targets.push({ dest, kind: "file" });
          break;
        }
      }
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { mounts: out, targets, cleanup };
}

/**
 * The stub targets of a mount list: one per mount whose destination is not
 * inside an earlier mount (the runtime creates those inside that mount).
 */
export function topLevelTargets(
  all: ReadonlyArray<{ destination: string; kind: "file" | "dir" }>,
): StubTarget[] {
  const out: StubTarget[] = [];
  const seen: string[] = [];
  for (const m of all) {
    const d = m.destination;
    if (seen.some((s) => d === s || d.startsWith(s + "/"))) {
      if (!seen.includes(d)) seen.push(d);
      continue;
    }
    seen.push(d);
    out.push({ dest: d, kind: m.kind });
  }
  return out;
}

/** Whether `st` is an overlay whiteout (a 0/0 character device). */
export function isOverlayWhiteout(st: fs.Stats): boolean {
  return isWhiteoutStat(st);
}
