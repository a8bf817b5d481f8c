// The Git source against a repository of its own, served by `git daemon` on 127.0.0.1:
// refs, tags, subdirs, .git kept or not, modes, mtimes and cache keys.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { writeLayerFromTree } from "../../src/archive/mod.ts";
import { type LayerRecord, openStore, type Store } from "../../src/store/mod.ts";
import { GitSource, isCommitSha, parseGitIdentifier } from "../../src/worker/git_source.ts";

const GIT_ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)),
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
} as Record<string, string>;

function sh(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", args, { cwd, encoding: "utf8", env: GIT_ENV });
  if (r.error) assert.fail(`git is needed by this test (apt-get install git): ${r.error.message}`);
  assert.equal(r.status, 0, `git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

function write(root: string, files: Record<string, string>): void {
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), c);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A repository (work tree + bare copy served by git daemon on 127.0.0.1). */
class Repo {
  readonly root = mkdtempSync(join(tmpdir(), "bk-git-"));
  readonly work = join(this.root, "work");
  readonly served = join(this.root, "srv");
  #daemon: ChildProcess | undefined;
  url = "";

  commit(files: Record<string, string>, message: string): string {
    write(this.work, files);
    sh(this.work, "add", "-A");
    sh(this.work, "commit", "-q", "-m", message);
    sh(this.work, "push", "-q", "--force", "--tags", join(this.served, "repo.git"), "main");
    return sh(this.work, "rev-parse", "HEAD");
  }

  async start(): Promise<void> {
    mkdirSync(this.work, { recursive: true });
    mkdirSync(this.served, { recursive: true });
    sh(this.work, "init", "-q", "-b", "main");
    sh(this.served, "init", "-q", "--bare", "-b", "main", "repo.git");
    const port = await freePort();
    this.#daemon = spawn("git", [
      "daemon",
      "--export-all",
      "--reuseaddr",
      `--base-path=${this.served}`,
      "--listen=127.0.0.1",
      `--port=${port}`,
      this.served,
    ], { stdio: "ignore", env: GIT_ENV });
    this.url = `git://127.0.0.1:${port}/repo.git`;
    for (let i = 0; i < 100; i++) {
      const r = spawnSync("git", ["ls-remote", this.url], { env: GIT_ENV });
      if (r.status === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail("git daemon did not start");
  }

  stop(): void {
    this.#daemon?.kill();
  }
}

function newStore(): Store {
  return openStore(join(mkdtempSync(join(tmpdir(), "bk-gits-")), "store"));
}

function source(store: Store, identifier: string, attrs: Record<string, string>): GitSource {
  return new GitSource(parseGitIdentifier(identifier, attrs), {
    store,
    opDigest: "sha256:" +
      createHash("sha256").update(identifier + JSON.stringify(attrs)).digest("hex"),
    writeLayer: async (dir: string): Promise<LayerRecord> => {
      const w = await store.content.writer();
      const r = await writeLayerFromTree(dir, { sink: w, compression: "gzip" });
      await w.commit({ digest: r.digest });
      return { mediaType: r.mediaType, digest: r.digest, size: r.size, diffId: r.diffId };
    },
  });
}

/** `git.fullurl` + identifier, as the frontend makes them. */
function gitOf(url: string, fragment: string, attrs: Record<string, string> = {}) {
  const id = "git://" + url.replace(/^git:\/\//, "") + (fragment ? "#" + fragment : "");
  return { id, attrs: { "git.fullurl": url, ...attrs } };
}

function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const n of readdirSync(join(root, rel)).sort()) {
      const p = rel ? `${rel}/${n}` : n;
      const st = lstatSync(join(root, p));
      out.push(`${st.isDirectory() ? "d" : "f"} ${(st.mode & 0o777).toString(8)} ${p}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk("");
  return out;
}

const signal = new AbortController().signal;

describe("GitSource", () => {
  const repo = new Repo();
  let v1 = "";
  before(async () => {
    await repo.start();
    write(repo.work, { "run.sh": "#!/bin/sh\necho hi\n" });
    chmodSync(join(repo.work, "run.sh"), 0o755);
    v1 = repo.commit({ "README.md": "v1\n", "sub/inner.txt": "inner v1\n" }, "first");
    sh(repo.work, "tag", "-a", "-m", "v1", "v1");
    sh(repo.work, "push", "-q", "--tags", join(repo.served, "repo.git"));
  });
  after(() => repo.stop());

  it("GitSource.snapshot() checks out a tag with 0644/0755 files, 0755 dirs and no .git", async () => {
    const store = newStore();
    const { id, attrs } = gitOf(repo.url, "v1");
    const src = source(store, id, attrs);
    await src.cacheKey(signal);
    const r = await src.snapshot(signal);
    const dir = store.snapshots.dir(r.snapshotId!);
    assert.deepEqual(listing(dir), [
      "f 644 README.md",
      "f 755 run.sh",
      "d 755 sub",
      "f 644 sub/inner.txt",
    ]);
    assert.equal(r.meta?.commit, v1);
    assert.equal(r.layers.length, 1);
  });

  it("GitSource.snapshot() takes only the subdir of #ref:subdir", async () => {
    const store = newStore();
    const { id, attrs } = gitOf(repo.url, "main:sub");
    const r = await source(store, id, attrs).snapshot(signal);
    const dir = store.snapshots.dir(r.snapshotId!);
    assert.deepEqual(listing(dir), ["f 644 inner.txt"]);
  });

  it("GitSource.snapshot() keeps a .git whose HEAD is the commit with git.keepgitdir", async () => {
    const store = newStore();
    const { id, attrs } = gitOf(repo.url, "main", { "git.keepgitdir": "true" });
    const r = await source(store, id, attrs).snapshot(signal);
    const dir = store.snapshots.dir(r.snapshotId!);
    assert.ok(existsSync(join(dir, ".git")));
    assert.equal(sh(dir, "rev-parse", "HEAD"), sh(repo.work, "rev-parse", "main"));
    assert.equal(sh(dir, "remote", "get-url", "origin"), repo.url);
    assert.equal(
      readFileSync(join(dir, "README.md"), "utf8"),
      readFileSync(join(repo.work, "README.md"), "utf8"),
    );
  });

  it("GitSource.snapshot() sets every mtime to the commit time with git.mtime=commit", async () => {
    const store = newStore();
    const { id, attrs } = gitOf(repo.url, "v1", { "git.mtime": "commit" });
    const r = await source(store, id, attrs).snapshot(signal);
    const dir = store.snapshots.dir(r.snapshotId!);
    const ct = Number(sh(repo.work, "log", "-1", "--format=%ct", "v1^{commit}")) * 1000;
    for (const p of ["README.md", "sub", "sub/inner.txt", "."]) {
      assert.equal(lstatSync(join(dir, p)).mtime.getTime(), ct, p);
    }
  });

  it("GitSource.cacheKey() stays for an unchanged ref and changes with a new commit on the branch", async () => {
    const store = newStore();
    const { id, attrs } = gitOf(repo.url, "main");
    const k1 = await source(store, id, attrs).cacheKey(signal);
    assert.equal(await source(store, id, attrs).cacheKey(signal), k1);
    const tagKey = await source(store, gitOf(repo.url, "v1").id, gitOf(repo.url, "v1").attrs)
      .cacheKey(signal);
    await source(store, id, attrs).snapshot(signal);
    const next = repo.commit({ "README.md": "v2\n" }, "second");
    const src = source(store, id, attrs);
    const k2 = await src.cacheKey(signal);
    assert.notEqual(k2, k1);
    // The shared bare repository is reused and fetches the new commit.
    const r = await src.snapshot(signal);
    assert.equal(r.meta?.commit, next);
    assert.equal(
      readFileSync(join(store.snapshots.dir(r.snapshotId!), "README.md"), "utf8"),
      "v2\n",
    );
    assert.equal(readdirSync(join(store.root, "cache", "git")).length, 1);
    // The tag did not move.
    const tag = gitOf(repo.url, "v1");
    assert.equal(await source(store, tag.id, tag.attrs).cacheKey(signal), tagKey);
  });

  it("GitSource checks out a commit given as the ref", async () => {
    const store = newStore();
    const { id, attrs } = gitOf(repo.url, v1);
    const r = await source(store, id, attrs).snapshot(signal);
    assert.equal(
      readFileSync(join(store.snapshots.dir(r.snapshotId!), "README.md"), "utf8"),
      "v1\n",
    );
  });

  it("GitSource rejects a checksum that does not match, and a missing ref", async () => {
    const store = newStore();
    const bad = gitOf(repo.url, "v1", { "git.checksum": "deadbeef" });
    await assert.rejects(
      source(store, bad.id, bad.attrs).cacheKey(signal),
      /expected checksum to match deadbeef/,
    );
    const good = gitOf(repo.url, "v1", { "git.checksum": v1.slice(0, 12) });
    await source(store, good.id, good.attrs).cacheKey(signal);
    const missing = gitOf(repo.url, "nope");
    await assert.rejects(
      source(store, missing.id, missing.attrs).cacheKey(signal),
      /does not contain ref nope/,
    );
  });

  it("GitSource updates submodules unless git.skipsubmodules is set", async () => {
    const subWork = join(repo.root, "subwork");
    mkdirSync(subWork, { recursive: true });
    sh(subWork, "init", "-q", "-b", "main");
    write(subWork, { "lib.txt": "from the submodule\n" });
    sh(subWork, "add", "-A");
    sh(subWork, "commit", "-q", "-m", "lib");
    sh(repo.served, "init", "-q", "--bare", "-b", "main", "lib.git");
    sh(subWork, "push", "-q", join(repo.served, "lib.git"), "main");
    const libUrl = repo.url.replace(/repo\.git$/, "lib.git");
    sh(repo.work, "-c", "protocol.allow=always", "submodule", "add", "-q", libUrl, "vendor/lib");
    repo.commit({}, "add submodule");
    const store = newStore();
    const withSub = gitOf(repo.url, "main");
    const r = await source(store, withSub.id, withSub.attrs).snapshot(signal);
    const dir = store.snapshots.dir(r.snapshotId!);
    assert.equal(readFileSync(join(dir, "vendor/lib/lib.txt"), "utf8"), "from the submodule\n");
    assert.equal(existsSync(join(dir, "vendor/lib/.git")), false);
    const skip = gitOf(repo.url, "main", { "git.skipsubmodules": "true" });
    const r2 = await source(store, skip.id, skip.attrs).snapshot(signal);
    const dir2 = store.snapshots.dir(r2.snapshotId!);
    assert.ok(existsSync(join(dir2, "vendor/lib")));
    assert.equal(existsSync(join(dir2, "vendor/lib/lib.txt")), false);
  });

  it("parseGitIdentifier() reads the remote, ref, subdir and attrs as BuildKit", () => {
    const a = parseGitIdentifier("git://github.com/moby/buildkit.git#v1:/docs/../src/", {});
    assert.equal(a.remote, "https://github.com/moby/buildkit.git");
    assert.equal(a.ref, "v1");
    assert.equal(a.subdir, "src");
    const b = parseGitIdentifier("git://github.com/moby/buildkit.git", {
      "git.fullurl": "git@github.com:moby/buildkit.git",
      "git.keepgitdir": "true",
      "git.skipsubmodules": "true",
    });
    assert.equal(b.remote, "git@github.com:moby/buildkit.git");
    assert.ok(b.keepGitDir && b.skipSubmodules);
    assert.throws(() => parseGitIdentifier("git://h/r.git#-bad", {}), /invalid git ref/);
    assert.ok(isCommitSha("0".repeat(64)) && !isCommitSha("0".repeat(39)));
  });
});
