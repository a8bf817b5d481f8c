// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The Git source (`git://host/path#ref:subdir` identifiers; `ADD <git url>`): a
 * checkout of one commit of a repository becomes a snapshot. Runs the `git`
 * binary.
 *
 * Rules (BuildKit's `source/git`):
 * - the remote is `git.fullurl` when given, else `https://` + the identifier's
 *   host and path; only `http`, `https`, `ssh`, `git` and scp-like remotes are
 *   Git transports (a bare path becomes `https://<path>`, as in BuildKit);
 * - the cache key is the commit the ref resolves to (`git ls-remote`; a full
 *   commit SHA is taken as is; no ref means the remote's default branch), plus
 *   `.git#ref` with `git.keepgitdir`, `:subdir`, `(skip-submodules)`,
 *   `(mtime=commit)`. An annotated tag counts through its commit unless the
 *   `.git` directory is kept. `git.checksum` must be a prefix of the commit (or
 *   of the tag object);
 * - one bare repository per remote is kept under `<store>/cache/git/` and
 *   reused across builds: a build fetches only the ref it needs, shallow
 *   (`--depth=1`, retried without depth where the server cannot do shallow);
 * - the checkout has files 0644/0755 and directories 0755 (git under umask
 *   022), mtimes of the checkout time unless `git.mtime=commit` (then every
 *   entry gets the commit time); no `.git` unless `git.keepgitdir=true` and no
 *   subdir (then a fresh one-commit repository with `origin` set to the remote,
 *   credentials redacted); submodules updated unless `git.skipsubmodules=true`;
 *   `subdir` must be a directory path without symlinks.
 *
 * Out of scope: auth tokens and headers (`git.authtokensecret`,
 * `git.authheadersecret`), forwarded SSH agents and known hosts
 * (`git.mountsshsock`, `git.knownsshhosts`: ssh remotes run with the host's
 * `ssh` and no agent), signature checks (`git.sig.*`) and bundles (`git.bundle`).
 *
 * @module
 */

import { createHash, fs, os, path, process, randomBytes, spawn } from "../runtime/mod.ts";
import type { SolverOp } from "../solver/mod.ts";
import type { CacheResult, LayerRecord, Store } from "../store/mod.ts";
import { redactUrl } from "./http_source.ts";

/** What a Git source identifier and its attrs ask for. */
export interface GitIdentifier {
  /** The remote URL given to git. */
  remote: string;
  /** Branch, tag, full ref or commit; empty for the default branch. */
  ref: string;
  /** Expected commit (a hex prefix). */
  checksum: string;
  /** Directory of the repository to take (clean, relative; empty for all). */
  subdir: string;
  keepGitDir: boolean;
  skipSubmodules: boolean;
  /** `checkout` (default, also when empty) or `commit`. */
  mtime: string;
  /** Fetch `checksum` itself rather than the ref. */
  fetchByCommit: boolean;
}

/** What a ref resolved to. */
export interface GitMetadata {
  /** The ref that matched (e.g. `refs/heads/main`), or the commit. */
  ref: string;
  /** The object the ref points at (a commit, or an annotated tag object). */
  checksum: string;
  /** The commit an annotated tag points at, when the tag object is not kept. */
  commitChecksum?: string;
}

/** Options of {@linkcode gitSourceOp}. */
export interface GitSourceOptions {
  store: Store;
  /** Digest of the op's definition (the base of the cache key). */
  opDigest: string;
  /** Anything else the result depends on (how layers are written). */
  keySalt?: string;
  /** Writes the layer of a tree (every entry an addition). */
  writeLayer(dir: string, signal: AbortSignal): Promise<LayerRecord>;
}

/** Raised when git fails; the message names the remote with credentials redacted. */
export class GitSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GitSourceError";
  }
}

const TRANSPORTS = new Set(["http", "https", "ssh", "git"]);
const IMPLICIT_SSH = /^[a-zA-Z0-9_-]+@[a-zA-Z0-9.-]+:.*$/;

/** Whether git can fetch `remote` as given (BuildKit's `gitutil.IsGitTransport`). */
function isGitTransport(remote: string): boolean {
  const m = /^([a-zA-Z0-9]+):\/\//.exec(remote);
  if (m) return TRANSPORTS.has(m[1]!.toLowerCase());
  return IMPLICIT_SSH.test(remote);
}

/**
 * Whether `s` is a full commit SHA (40 or 64 lowercase hex digits).
 *
 * @example
 * ```ts
 * import { isCommitSha } from "./git_source.ts";
 * console.assert(isCommitSha("a".repeat(40)) && !isCommitSha("main"));
 * ```
 */
export function isCommitSha(s: string): boolean {
  return /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(s);
}

function cleanSubdir(s: string): string {
  const out: string[] = [];
  for (const part of s.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out.join("/");
}

/** Strips query and fragment of a remote given in a URL form. */
function remoteOf(url: string): string {
  const scp = /^([a-zA-Z0-9_-]+@[a-zA-Z0-9.-]+:)([^?#]*)/.exec(url);
  if (scp && !/^[a-zA-Z0-9]+:\/\//.test(url)) return scp[1]! + scp[2]!;
  return url.replace(/[?#].*$/, "");
}

/**
 * Reads a Git source's identifier (`git://host/path#ref:subdir`) and attrs.
 *
 * @example
 * ```ts
 * import { parseGitIdentifier } from "./git_source.ts";
 * const id = parseGitIdentifier("git://github.com/moby/buildkit.git#v0.1:docs", {
 *   "git.fullurl": "https://github.com/moby/buildkit.git",
 * });
 * console.assert(id.remote === "https://github.com/moby/buildkit.git");
 * console.assert(id.ref === "v0.1" && id.subdir === "docs");
 * ```
 */
export function parseGitIdentifier(
  identifier: string,
  attrs: Record<string, string>,
): GitIdentifier {
  if (!identifier.startsWith("git://")) {
    throw new GitSourceError(`invalid git source ${redactUrl(identifier)}`);
  }
  let rest = identifier.slice("git://".length);
  let fragment = "";
  const hash = rest.indexOf("#");
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  const colon = fragment.indexOf(":");
  const id: GitIdentifier = {
    remote: remoteOf(isGitTransport(rest) ? rest : `https://${rest}`),
    ref: colon < 0 ? fragment : fragment.slice(0, colon),
    checksum: "",
    subdir: colon < 0 ? "" : cleanSubdir(fragment.slice(colon + 1)),
    keepGitDir: false,
    skipSubmodules: false,
    mtime: "",
    fetchByCommit: false,
  };
  for (const [k, v] of Object.entries(attrs)) {
    switch (k) {
      case "git.fullurl":
        id.remote = isGitTransport(v) ? v : `https://${v}`;
        break;
      case "git.keepgitdir":
        id.keepGitDir = v === "true";
        break;
      case "git.checksum":
        id.checksum = v;
        break;
      case "git.skipsubmodules":
        id.skipSubmodules = v === "true";
        break;
      case "git.mtime":
        if (v !== "" && v !== "checkout" && v !== "commit") {
          throw new GitSourceError(`invalid git.mtime value ${JSON.stringify(v)}`);
        }
        id.mtime = v;
        break;
      case "git.fetchbycommit":
        id.fetchByCommit = v === "true";
        break;
    }
  }
  if (id.ref.startsWith("-")) throw new GitSourceError(`invalid git ref ${JSON.stringify(id.ref)}`);
  return id;
}

/** The environment git runs with: no system or user config, no prompts. */
function gitEnv(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    GIT_TERMINAL_PROMPT: "0",
    GIT_SSH_COMMAND: "ssh -F /dev/null -o StrictHostKeyChecking=no",
    LC_ALL: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    HOME: "/dev/null",
    GIT_CONFIG_GLOBAL: "/dev/null",
  };
  for (
    const k of [
      "HTTP_PROXY",
      "HTTPS_PROXY",
      "NO_PROXY",
      "ALL_PROXY",
      "http_proxy",
      "https_proxy",
      "no_proxy",
      "all_proxy",
    ]
  ) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

interface GitRun {
  gitDir?: string;
  workTree?: string;
  cwd?: string;
  signal?: AbortSignal;
}

class GitCommandError extends Error {
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(message);
    this.stderr = stderr;
  }
}

function spawnGit(args: string[], o: GitRun): Promise<string> {
  const argv = ["-c", "protocol.file.allow=user"];
  if (o.workTree !== undefined) argv.push("--work-tree", o.workTree);
  if (o.gitDir !== undefined) argv.push("--git-dir", o.gitDir);
  argv.push(...args);
  return new Promise((resolve, reject) => {
    // git under the standard umask, so that checkouts get 0644/0755 (BuildKit's runWithStandardUmask).
    const child = spawn("sh", ["-c", 'umask 0022 && exec git "$@"', "git", ...argv], {
      cwd: o.cwd ?? o.workTree ?? os.tmpdir(),
      env: gitEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    child.stdout!.on("data", (c: Uint8Array) => out.push(c));
    child.stderr!.on("data", (c: Uint8Array) => err.push(c));
    const onAbort = () => child.kill("SIGKILL");
    o.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (e: Error) => {
      o.signal?.removeEventListener("abort", onAbort);
      reject(new GitCommandError(`cannot run git (is it installed?): ${e.message}`, ""));
    });
    child.on("close", (code: number | null) => {
      o.signal?.removeEventListener("abort", onAbort);
      const stdout = new TextDecoder().decode(concat(out));
      const stderr = new TextDecoder().decode(concat(err));
      if (o.signal?.aborted) reject(o.signal.reason);
      else if (code === 0) resolve(stdout);
      else if (code === 127 && /exec: git: not found|git: not found/.test(stderr)) {
        reject(new GitCommandError("git is not installed (apt-get install git)", stderr));
      } else {
        reject(
          new GitCommandError(
            `git ${redactArgs(args).join(" ")} failed (exit ${code}): ${
              redactUrl(stderr.trim()) || "no output"
            }`,
            stderr,
          ),
        );
      }
    });
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function redactArgs(args: string[]): string[] {
  return args.map((a) => a.replace(/([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/@\s]*@/g, "$1xxxxx@"));
}

/**
 * Runs git; like BuildKit, retries without `--depth=1` when the server cannot
 * do shallow fetches, and without a commit refspec when the server refuses to
 * serve an unadvertised commit.
 */
async function git(args: string[], o: GitRun = {}): Promise<string> {
  for (;;) {
    try {
      return await spawnGit(args, o);
    } catch (e) {
      if (!(e instanceof GitCommandError)) throw e;
      if (/--depth|shallow/.test(e.stderr) && args.includes("--depth=1")) {
        args = args.filter((a) => a !== "--depth=1");
        continue;
      }
      if (/not our ref|unadvertised object/.test(e.stderr) && args.some(isCommitSha)) {
        args = args.filter((a) => !isCommitSha(a));
        continue;
      }
      throw e;
    }
  }
}

/** Per-process serialization by key (the store lock covers other processes). */
const LOCAL_LOCKS = new Map<string, Promise<void>>();

async function withLocalLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = LOCAL_LOCKS.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = prev.then(() => mine);
  LOCAL_LOCKS.set(key, tail);
  await prev;
  try {
    return await fn();
  } finally {
    release();
    if (LOCAL_LOCKS.get(key) === tail) LOCAL_LOCKS.delete(key);
  }
}

function sha256Hex(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/**
 * One Git source op: resolves the ref to a commit (its cache key) and checks the
 * commit out into a snapshot.
 */
export class GitSource {
  readonly #id: GitIdentifier;
  readonly #opts: GitSourceOptions;
  #resolved: Promise<GitMetadata> | undefined;

  /** Binds the source `id` to a store. */
  constructor(id: GitIdentifier, options: GitSourceOptions) {
    this.#id = { ...id };
    this.#opts = options;
  }

  get #shown(): string {
    return redactUrl(this.#id.remote);
  }

  /** The cache key string BuildKit derives from a resolved commit. */
  #keyOf(sha: string, ref: string): string {
    const id = this.#id;
    let key = sha;
    if (id.keepGitDir) {
      key += ".git";
      if (ref !== "") key += "#" + ref;
    }
    if (id.subdir !== "") key += ":" + id.subdir;
    if (id.skipSubmodules) key += "(skip-submodules)";
    if (id.mtime !== "" && id.mtime !== "checkout") key += "(mtime=" + id.mtime + ")";
    return key;
  }

  /** The cache key of this source (a digest); runs `git ls-remote` unless the ref is a commit. */
  async cacheKey(signal: AbortSignal): Promise<string> {
    const md = await this.resolve(signal);
    let key: string;
    if (isCommitSha(md.ref)) key = this.#keyOf(md.ref, md.ref);
    else {
      const sha = md.commitChecksum !== undefined && !this.#id.keepGitDir
        ? md.commitChecksum
        : md.checksum;
      key = this.#keyOf(sha, md.ref);
    }
    const salt = this.#opts.keySalt ?? "";
    return `sha256:${sha256Hex(`${this.#opts.opDigest}\0${salt}\0${key}`)}`;
  }

  /** The commit the ref points at now. */
  resolve(signal: AbortSignal): Promise<GitMetadata> {
    if (this.#resolved === undefined) {
      this.#resolved = this.#resolve(signal);
      this.#resolved.catch(() => (this.#resolved = undefined));
    }
    return this.#resolved;
  }

  async #resolve(signal: AbortSignal): Promise<GitMetadata> {
    const id = this.#id;
    if (id.checksum !== "" && !/^[a-fA-F0-9]+$/.test(id.checksum)) {
      throw new GitSourceError(
        `invalid checksum ${id.checksum} for Git URL, expected hex commit hash`,
      );
    }
    if (isCommitSha(id.ref)) {
      if (id.checksum !== "" && !id.ref.startsWith(id.checksum)) {
        throw new GitSourceError(`expected checksum to match ${id.checksum}, got ${id.ref}`);
      }
      return { ref: id.ref, checksum: id.ref };
    }
    if (id.fetchByCommit) {
      if (id.checksum === "") {
        throw new GitSourceError("fetch-by-commit requires a checksum or a commit SHA ref");
      }
      if (!isCommitSha(id.checksum)) {
        throw new GitSourceError(
          `fetch-by-commit requires a full commit SHA checksum, got ${JSON.stringify(id.checksum)}`,
        );
      }
      if (id.ref !== "" && !id.ref.startsWith("refs/")) id.ref = "refs/heads/" + id.ref;
      if (id.ref === "") id.ref = id.checksum;
      return { ref: id.ref, checksum: id.checksum };
    }
    const ref = id.ref !== "" ? id.ref : await this.#defaultBranch(signal);
    let out: string;
    try {
      out = await git(["ls-remote", "--", id.remote, ref, ref + "^{}"], { signal });
    } catch (e) {
      throw this.#wrap(`failed to fetch remote ${this.#shown}`, e);
    }
    const strip = (p: string) => ref.startsWith(p) ? ref.slice(p.length) : ref;
    const partialRef = "refs/" + strip("refs/");
    const headRef = "refs/heads/" + strip("refs/heads/");
    const tagRef = "refs/tags/" + strip("refs/tags/");
    let sha = "", headSha = "", tagSha = "", annotated = "", used = "";
    for (const line of out.split("\n")) {
      const tab = line.indexOf("\t");
      if (tab < 0) continue;
      const lineSha = line.slice(0, tab);
      const lineRef = line.slice(tab + 1);
      if (lineRef === headRef) headSha = lineSha;
      else if (lineRef === tagRef) tagSha = lineSha;
      else if (lineRef === tagRef + "^{}") annotated = lineSha;
      else if (lineRef === partialRef) {
        sha = lineSha;
        used = lineRef;
      }
    }
    if (sha === "") [sha, used] = [headSha, headRef];
    if (sha !== "") annotated = "";
    if (sha === "") [sha, used] = [tagSha, tagRef];
    if (sha === "") {
      throw new GitSourceError(
        `repository ${this.#shown} does not contain ref ${ref}, output: ${JSON.stringify(out)}`,
      );
    }
    if (!isCommitSha(sha)) throw new GitSourceError(`invalid commit sha ${JSON.stringify(sha)}`);
    if (id.checksum !== "" && !sha.startsWith(id.checksum) && !annotated.startsWith(id.checksum)) {
      const got = annotated !== "" ? `${sha} or ${annotated}` : sha;
      throw new GitSourceError(`expected checksum to match ${id.checksum}, got ${got}`);
    }
    return {
      ref: used,
      checksum: sha,
      ...(annotated !== "" && !id.keepGitDir ? { commitChecksum: annotated } : {}),
    };
  }

  async #defaultBranch(signal: AbortSignal): Promise<string> {
    let out: string;
    try {
      out = await git(["ls-remote", "--symref", this.#id.remote, "HEAD"], { signal });
    } catch (e) {
      throw this.#wrap(`error fetching default branch for repository ${this.#shown}`, e);
    }
    const m = /refs\/heads\/(\S+)/.exec(out);
    if (!m) {
      throw new GitSourceError(`could not find default branch for repository: ${this.#shown}`);
    }
    if (m[1]!.startsWith("-")) throw new GitSourceError(`invalid git ref ${JSON.stringify(m[1])}`);
    return m[1]!;
  }

  #wrap(prefix: string, e: unknown): Error {
    if (e instanceof GitCommandError) return new GitSourceError(`${prefix}: ${e.message}`);
    return e as Error;
  }

  /** The bare repository shared by every build fetching from this remote. */
  get #repoDir(): string {
    return path.join(
      this.#opts.store.root,
      "cache",
      "git",
      sha256Hex(this.#id.remote).slice(0, 32),
    );
  }

  async #initRepo(dir: string, sha256Objects: boolean, signal: AbortSignal): Promise<void> {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const args = ["-c", "init.defaultBranch=master", "init", "--bare"];
    if (sha256Objects) args.push("--object-format=sha256");
    await git(args, { gitDir: dir, signal });
    await git(["remote", "add", "origin", this.#id.remote], { gitDir: dir, signal });
  }

  /** Makes sure the bare repository holds the commit; returns the ref to check out. */
  async #fetch(md: GitMetadata, reset: boolean, signal: AbortSignal): Promise<string> {
    const id = this.#id;
    const dir = this.#repoDir;
    const sha256Objects = md.checksum.length === 64;
    if (reset || !fs.existsSync(path.join(dir, "HEAD"))) {
      await this.#initRepo(dir, sha256Objects, signal);
    }
    const ref = id.ref !== "" ? id.ref : await this.#defaultBranch(signal);
    id.ref = ref;
    const fetchRef = id.fetchByCommit && id.checksum !== "" ? id.checksum : ref;
    if (isCommitSha(fetchRef)) {
      try {
        await git(["cat-file", "-e", "--", fetchRef + "^{commit}"], { gitDir: dir, signal });
        return ref;
      } catch {
        // not here yet: fetch it
      }
    }
    const targetRef = ref.startsWith("refs/tags/") ? ref : "tags/" + ref;
    fs.rmSync(path.join(dir, "shallow.lock"), { force: true });
    const shallow = () => fs.existsSync(path.join(dir, "shallow"));
    const args = ["fetch"];
    if (id.fetchByCommit || !isCommitSha(fetchRef)) args.push("--depth=1", "--no-tags");
    else {
      args.push("--tags");
      if (shallow()) args.push("--unshallow");
    }
    args.push("origin");
    if (isCommitSha(ref)) args.push(ref);
    else args.push("--force", "--", `${fetchRef}:${targetRef}`);
    try {
      await git(args, { gitDir: dir, signal });
    } catch (e) {
      const err = e instanceof GitCommandError ? e.stderr : "";
      if (
        !reset && (/rejected/.test(err) && /would clobber existing tag/.test(err) ||
          /some local refs could not be updated;/.test(err) &&
            /unable to update local ref|refname conflict/.test(err))
      ) {
        return await this.#fetch(md, true, signal);
      }
      throw this.#wrap(`failed to fetch remote ${this.#shown}`, e);
    }
    const got = (await git(["rev-parse", fetchRef], { gitDir: dir, signal })).trim();
    if (got !== md.checksum && !isCommitSha(ref)) {
      // The ref moved since it was resolved: get the resolved commit itself.
      const upt = targetRef.startsWith("refs/") ? targetRef : "refs/" + targetRef;
      const has = () =>
        git(["cat-file", "-e", md.checksum], { gitDir: dir, signal }).then(() => true, () => false);
      if (!(await has())) {
        const more = ["fetch", "--tags"];
        if (shallow()) more.push("--unshallow");
        more.push("origin", md.checksum);
        try {
          await git(more, { gitDir: dir, signal });
        } catch (e) {
          throw this.#wrap(`failed to fetch remote ${this.#shown}`, e);
        }
        if (!(await has())) {
          throw new GitSourceError(
            `fetched ref ${ref} does not match expected commit ${md.checksum} and commit can not be found in the repository`,
          );
        }
      }
      await git(["update-ref", upt, md.checksum, "--no-deref"], { gitDir: dir, signal });
    }
    return ref;
  }

  /** Checks the resolved commit out into a new snapshot (and writes its layer). */
  async snapshot(signal: AbortSignal): Promise<CacheResult> {
    const md = await this.resolve(signal);
    const lockName = `git-${sha256Hex(this.#id.remote).slice(0, 32)}`;
    const { locks } = this.#opts.store;
    return await withLocalLock(
      lockName,
      () =>
        locks.withLock(lockName, () => this.#checkout(md, signal), { signal, timeoutMs: 600_000 }),
    );
  }

  async #checkout(md: GitMetadata, signal: AbortSignal): Promise<CacheResult> {
    const id = this.#id;
    const { snapshots } = this.#opts.store;
    const ref = await this.#fetch(md, false, signal);
    const bare = this.#repoDir;
    const refOrCommit = id.fetchByCommit && id.checksum !== "" ? id.checksum : md.checksum;
    const m = await snapshots.create();
    try {
      const checkoutDir = m.dir;
      fs.chmodSync(checkoutDir, 0o755);
      const subdir = id.subdir;
      let cd = checkoutDir;
      let gitDir = bare;
      if (id.keepGitDir && subdir === "") {
        const dotGit = path.join(checkoutDir, ".git");
        const run = (args: string[]) =>
          git(args, { workTree: checkoutDir, gitDir: dotGit, signal });
        const initArgs = ["-c", "init.defaultBranch=master", "init"];
        if (md.checksum.length === 64) initArgs.push("--object-format=sha256");
        await run(initArgs);
        await run(["remote", "add", "origin", "file://" + bare]);
        const type = (await git(["cat-file", "-t", refOrCommit], { gitDir: bare, signal })).trim();
        let pullref = ref;
        if (type === "tag") {
          pullref += ":" + (ref.startsWith("refs/tags/") ? ref : "refs/tags/" + ref);
        } else if (id.fetchByCommit && id.checksum !== "" && ref !== id.checksum) {
          pullref = `${id.checksum}:${ref}`;
        } else if (isCommitSha(ref)) {
          pullref = "refs/buildkit/" + randomBytes(8).toString("hex");
          await git(["update-ref", pullref, ref], { gitDir: bare, signal });
        } else {
          pullref += ":" + pullref;
        }
        await run(["fetch", "-u", "--depth=1", "--", "origin", pullref]);
        await run(["checkout", "FETCH_HEAD"]);
        await run(["remote", "set-url", "origin", this.#shown]);
        await run(["reflog", "expire", "--all", "--expire=now"]);
        fs.rmSync(path.join(dotGit, "FETCH_HEAD"), { force: true });
        gitDir = dotGit;
      } else {
        if (subdir !== "") cd = fs.mkdtempSync(path.join(checkoutDir, "checkout"));
        try {
          await git(["checkout", "--no-overlay", md.checksum, "--", "."], {
            workTree: cd,
            gitDir: bare,
            signal,
          });
        } catch (e) {
          throw this.#wrap(`failed to checkout remote ${this.#shown}`, e);
        }
      }
      if (!id.skipSubmodules && fs.existsSync(path.join(cd, ".gitmodules"))) {
        try {
          await git(["submodule", "update", "--init", "--recursive", "--depth=1"], {
            workTree: cd,
            gitDir,
            signal,
          });
        } catch (e) {
          throw this.#wrap(`failed to update submodules for ${this.#shown}`, e);
        }
      }
      if (!id.keepGitDir) removeGitEntries(cd);
      if (subdir !== "") {
        let p = cd;
        for (const part of subdir.split("/")) {
          p = path.join(p, part);
          let st: fs.Stats;
          try {
            st = fs.lstatSync(p);
          } catch {
            throw new GitSourceError(
              `invalid subdir ${subdir}: ${
                JSON.stringify(path.relative(cd, p))
              } does not exist in ${this.#shown}`,
            );
          }
          if (!st.isDirectory()) {
            throw new GitSourceError(
              `invalid subdir ${subdir}: git subpath ${
                JSON.stringify(subdir)
              } contains non-directory ${JSON.stringify(path.relative(cd, p))}`,
            );
          }
        }
        for (const name of fs.readdirSync(p)) {
          fs.renameSync(path.join(p, name), path.join(checkoutDir, name));
        }
        fs.rmSync(cd, { recursive: true, force: true });
      }
      if (id.mtime === "commit") {
        const ct = (await git(["log", "-1", "--format=%ct", refOrCommit + "^{commit}"], {
          gitDir: bare,
          signal,
        })).trim();
        const secs = Number(ct);
        if (!/^\d+$/.test(ct)) {
          throw new GitSourceError(`failed to parse commit timestamp ${JSON.stringify(ct)}`);
        }
        setTimes(checkoutDir, new Date(secs * 1000));
      }
      const layer = await this.#opts.writeLayer(checkoutDir, signal);
      const snapshotId = await snapshots.commit(m, {
        description: `git snapshot for ${this.#shown}#${ref}`,
      });
      const commit = md.commitChecksum ?? md.checksum;
      return {
        snapshotId,
        layers: [layer],
        meta: { kind: "git", remote: this.#shown, ref, commit },
      };
    } catch (e) {
      await snapshots.discard(m);
      throw e;
    }
  }
}

/** Removes every `.git` entry below `dir` (submodules' pointers into the shared repository). */
function removeGitEntries(dir: string): void {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.name === ".git") fs.rmSync(p, { recursive: true, force: true });
    else if (ent.isDirectory()) removeGitEntries(p);
  }
}

/** Sets the mtime (and atime) of every entry below and including `dir`; symlinks themselves. */
function setTimes(dir: string, t: Date): void {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) setTimes(p, t);
    else if (ent.isSymbolicLink()) fs.lutimesSync(p, t, t);
    else fs.utimesSync(p, t, t);
  }
  fs.utimesSync(dir, t, t);
}

/**
 * The solver op of a Git source: its cache map resolves the ref to a commit;
 * its execution checks it out.
 *
 * @example
 * ```ts ignore
 * import { gitSourceOp, parseGitIdentifier } from "./git_source.ts";
 * const op = gitSourceOp(parseGitIdentifier("git://127.0.0.1/repo.git#main", {}), {
 *   store, opDigest, writeLayer,
 * });
 * ```
 */
export function gitSourceOp(id: GitIdentifier, options: GitSourceOptions): SolverOp<CacheResult> {
  const src = new GitSource(id, options);
  return {
    cacheMap: async (signal) => ({ digest: await src.cacheKey(signal), deps: [] }),
    exec: (_inputs, ctx) => src.snapshot(ctx.signal),
  };
}
