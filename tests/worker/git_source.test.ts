// The Git source against a repository of its own, served by `git daemon` on 127.0.0.1:
// refs, tags, subdirs, .git kept or not, modes, mtimes and cache keys.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeLayerFromTree } from "../../src/archive/mod.ts";
import { type LayerRecord, openStore, type Store } from "../../src/store/mod.ts";
import { GitSource, isCommitSha, parseGitIdentifier } from "../../src/worker/git_source.ts";
import { git, GitDaemonRepo, writeFiles } from "../_fixtures/git_daemon.ts";

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
  const repo = new GitDaemonRepo();
  let v1 = "";
  before(async () => {
    await repo.start();
    writeFiles(repo.work, { "run.sh": "#!/bin/sh\necho hi\n" });
    chmodSync(join(repo.work, "run.sh"), 0o755);
    v1 = repo.commit({ "README.md": "v1\n", "sub/inner.txt": "inner v1\n" }, "first");
    git(repo.work, "tag", "-a", "-m", "v1", "v1");
    git(repo.work, "push", "-q", "--tags", join(repo.served, "repo.git"));
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
    assert.equal(git(dir, "rev-parse", "HEAD"), git(repo.work, "rev-parse", "main"));
    assert.equal(git(dir, "remote", "get-url", "origin"), repo.url);
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
    const ct = Number(git(repo.work, "log", "-1", "--format=%ct", "v1^{commit}")) * 1000;
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
    git(subWork, "init", "-q", "-b", "main");
    writeFiles(subWork, { "lib.txt": "from the submodule\n" });
    git(subWork, "add", "-A");
    git(subWork, "commit", "-q", "-m", "lib");
    git(repo.served, "init", "-q", "--bare", "-b", "main", "lib.git");
    git(subWork, "push", "-q", join(repo.served, "lib.git"), "main");
    const libUrl = repo.url.replace(/repo\.git$/, "lib.git");
    git(repo.work, "-c", "protocol.allow=always", "submodule", "add", "-q", libUrl, "vendor/lib");
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
