// Copyright 2026 the buildkit-ts authors. MIT license.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import type { FileActionOp } from "../../src/llb/mod.ts";
import { executeFileOp, type FileOpContext } from "../../src/worker/file_op.ts";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const ROOT_ONLY = isRoot ? false : "ownership assertions need root (running unprivileged)";
const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "file-op-test-")));
after(() => fs.rmSync(base, { recursive: true, force: true }));

let counter = 0;
function newDir(name = "d"): string {
  const d = path.join(base, `${name}-${counter++}`);
  fs.mkdirSync(d);
  return d;
}

/** Writes a tree: "dir/" entries are directories, `{ link }` symlinks, strings files. */
function tree(spec: Record<string, string | { link: string } | { mode: number; data: string }>) {
  const root = newDir("in");
  for (const [p, v] of Object.entries(spec)) {
    const host = path.join(root, p);
    if (p.endsWith("/")) {
      fs.mkdirSync(host, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(host), { recursive: true });
    if (typeof v === "string") fs.writeFileSync(host, v);
    else if ("link" in v) fs.symlinkSync(v.link, host);
    else {
      fs.writeFileSync(host, v.data);
      fs.chmodSync(host, v.mode);
    }
  }
  return root;
}

/** A work-dir maker that clones with hardlinks, like the snapshot store. */
function context(inputs: Array<string | undefined>, extra: Partial<FileOpContext> = {}) {
  const ctx: FileOpContext = {
    inputs,
    createWorkDir(b) {
      const d = newDir("work");
      if (b !== undefined) {
        fs.rmdirSync(d);
        execFileSync("cp", ["-a", "--link", b, d]);
      }
      return Promise.resolve(d);
    },
    ...extra,
  };
  return ctx;
}

async function run(
  actions: FileActionOp[],
  inputs: Array<string | undefined>,
  extra: Partial<FileOpContext> = {},
): Promise<string> {
  const outs = await executeFileOp(actions, context(inputs, extra));
  return outs[0]!;
}

/** Sorted relative listing: "d/" for dirs, "l -> target" for links, "f" for files. */
function list(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const r = rel === "" ? name : rel + "/" + name;
      const st = fs.lstatSync(p);
      if (st.isDirectory()) {
        out.push(r + "/");
        walk(p, r);
      } else if (st.isSymbolicLink()) out.push(`${r} -> ${fs.readlinkSync(p)}`);
      else out.push(r);
    }
  };
  walk(root, "");
  return out;
}

/** Listing with inode, mode, owner, mtime and content: detects any change. */
function fingerprint(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p, { bigint: true });
      const data = st.isFile()
        ? fs.readFileSync(p, "latin1")
        : st.isSymbolicLink()
        ? fs.readlinkSync(p)
        : "";
      out.push(
        `${rel}/${name} ino=${st.ino} mode=${st.mode} ${st.uid}:${st.gid} mtime=${st.mtimeNs} ${
          JSON.stringify(data)
        }`,
      );
      if (st.isDirectory()) walk(p, rel + "/" + name);
    }
  };
  walk(root, "");
  return out;
}

const read = (root: string, p: string) => fs.readFileSync(path.join(root, p), "utf8");
const mode = (root: string, p: string) => fs.lstatSync(path.join(root, p)).mode & 0o7777;

function copyAction(src: string, dest: string, extra: Record<string, unknown> = {}): FileActionOp {
  return {
    type: "copy",
    input: 0,
    secondaryInput: 1,
    output: 0,
    src,
    dest,
    ...extra,
  } as FileActionOp;
}

/** The Dockerfile frontend's options for COPY from the context. */
const DOCKERFILE = {
  followSymlinks: true,
  copyDirContentsOnly: true,
  createDestPath: true,
  allowWildcard: true,
  allowEmptyWildcard: true,
};

describe("executeFileOp() copy", () => {
  it("executeFileOp() copies a directory itself when copyDirContentsOnly is false", async () => {
    const src = tree({ "dir/a": "A", "dir/sub/b": "B" });
    const dest = tree({ "app/": "" });
    const out = await run([copyAction("/dir", "/app", { createDestPath: true })], [dest, src]);
    assert.deepEqual(list(path.join(out, "app")), ["dir/", "dir/a", "dir/sub/", "dir/sub/b"]);
  });

  it("executeFileOp() copies a directory's contents with copyDirContentsOnly", async () => {
    const src = tree({ "dir/a": "A", "dir/sub/b": "B" });
    const dest = tree({ "app/": "" });
    const out = await run([copyAction("/dir", "/app", DOCKERFILE)], [dest, src]);
    assert.deepEqual(list(path.join(out, "app")), ["a", "sub/", "sub/b"]);
  });

  it("executeFileOp() copies a file to a new name when dest has no trailing slash", async () => {
    const src = tree({ "f.txt": "hello" });
    const out = await run([copyAction("/f.txt", "/dst", DOCKERFILE)], [undefined, src]);
    assert.equal(read(out, "dst"), "hello");
    assert.ok(fs.statSync(path.join(out, "dst")).isFile());
  });

  it("executeFileOp() copies a file into a directory when dest ends with /", async () => {
    const src = tree({ "f.txt": "hello" });
    const out = await run([copyAction("/f.txt", "/new/dir/", DOCKERFILE)], [undefined, src]);
    assert.equal(read(out, "new/dir/f.txt"), "hello");
    assert.equal(mode(out, "new/dir"), 0o755);
  });

  it("executeFileOp() copies into an existing directory named without trailing slash", async () => {
    const src = tree({ "f.txt": "hello" });
    const dest = tree({ "app/": "" });
    const out = await run([copyAction("/f.txt", "/app", DOCKERFILE)], [dest, src]);
    assert.equal(read(out, "app/f.txt"), "hello");
  });

  it("executeFileOp() copies several sources into one directory (chained actions)", async () => {
    const src = tree({ "a.txt": "a", "b.txt": "b", "c/d": "d" });
    const n = 2;
    const out = await run([
      { ...copyAction("/a.txt", "/out/", DOCKERFILE), output: -1 },
      { ...copyAction("/b.txt", "/out/", DOCKERFILE), input: n + 0, output: -1 },
      { ...copyAction("/c", "/out/", DOCKERFILE), input: n + 1, output: 0 },
    ], [undefined, src]);
    assert.deepEqual(list(path.join(out, "out")), ["a.txt", "b.txt", "d"]);
  });

  it("executeFileOp() resolves wildcards per path segment", async () => {
    const src = tree({
      "x/a.txt": "1",
      "x/b.txt": "2",
      "x/c.md": "3",
      "y/a.txt": "4",
      "x/d.txt/": "",
    });
    const out = await run([copyAction("/*/[ab].txt", "/out/", DOCKERFILE)], [undefined, src]);
    assert.deepEqual(list(path.join(out, "out")), ["a.txt", "b.txt"]);
    // /x/a.txt and /y/a.txt both land on out/a.txt: the later match (y) wins.
    assert.equal(read(out, "out/a.txt"), "4");
    const out2 = await run([copyAction("/x/*.txt", "/o2/", DOCKERFILE)], [undefined, src]);
    assert.deepEqual(list(path.join(out2, "o2")), ["a.txt", "b.txt"]);
  });

  it("executeFileOp() accepts a wildcard matching nothing with allowEmptyWildcard", async () => {
    const src = tree({ "a.txt": "a" });
    const dest = tree({ "keep": "k" });
    const out = await run([copyAction("/*.none", "/out/", DOCKERFILE)], [dest, src]);
    assert.deepEqual(list(out), ["keep"]);
  });

  it("executeFileOp() fails on a wildcard matching nothing without allowEmptyWildcard", async () => {
    const src = tree({ "a.txt": "a" });
    await assert.rejects(
      run([copyAction("/*.none", "/out/", { ...DOCKERFILE, allowEmptyWildcard: false })], [
        undefined,
        src,
      ]),
      /"\/\*\.none": not found/,
    );
  });

  it("executeFileOp() reports a missing source as not found", async () => {
    const src = tree({ "a.txt": "a" });
    await assert.rejects(
      run([copyAction("/missing", "/out/", DOCKERFILE)], [undefined, src]),
      /"\/missing": not found/,
    );
  });

  it("executeFileOp() clamps .. in the source to the source root", async () => {
    const src = tree({ "a.txt": "a" });
    const out = await run([copyAction("../../../a.txt", "/x", DOCKERFILE)], [undefined, src]);
    assert.equal(read(out, "x"), "a");
  });

  it("executeFileOp() fails without createDestPath when dest's parent is missing", async () => {
    const src = tree({ "a.txt": "a" });
    await assert.rejects(
      run([copyAction("/a.txt", "/no/such/x", {})], [undefined, src]),
      /failed to stat \/no\/such\/x/,
    );
    const out = await run([copyAction("/a.txt", "/x", {})], [undefined, src]);
    assert.equal(read(out, "x"), "a");
  });

  it("executeFileOp() keeps hardlinks inside a copied tree", async () => {
    const src = tree({ "d/a": "same", "d/other": "o" });
    fs.linkSync(path.join(src, "d/a"), path.join(src, "d/b"));
    const out = await run([copyAction("/d", "/out", DOCKERFILE)], [undefined, src]);
    const a = fs.statSync(path.join(out, "out/a"));
    const b = fs.statSync(path.join(out, "out/b"));
    assert.equal(a.ino, b.ino);
    assert.notEqual(a.ino, fs.statSync(path.join(src, "d/a")).ino);
    assert.notEqual(fs.statSync(path.join(out, "out/other")).ino, a.ino);
  });

  it("executeFileOp() keeps symlinks in a tree and follows only a source symlink", async () => {
    const src = tree({
      "d/f": "F",
      "d/l": { link: "f" },
      "d/abs": { link: "/etc/passwd" },
      "ln": { link: "d" },
    });
    const out = await run([copyAction("/d", "/out", DOCKERFILE)], [undefined, src]);
    assert.equal(fs.readlinkSync(path.join(out, "out/l")), "f");
    assert.equal(fs.readlinkSync(path.join(out, "out/abs")), "/etc/passwd");
    // followSymlinks: the link given as source is resolved (inside the source root).
    const out2 = await run([copyAction("/ln", "/o2", DOCKERFILE)], [undefined, src]);
    assert.ok(fs.lstatSync(path.join(out2, "o2")).isDirectory());
    assert.equal(read(out2, "o2/f"), "F");
    // Without it the link itself is copied.
    const out3 = await run([copyAction("/ln", "/o3", { createDestPath: true })], [undefined, src]);
    assert.equal(fs.readlinkSync(path.join(out3, "o3")), "d");
  });

  it("executeFileOp() resolves a source symlink pointing outside inside the source root", async () => {
    const src = tree({ "etc/passwd": "inside", "esc": { link: "/../../../../etc/passwd" } });
    const out = await run([copyAction("/esc", "/got", DOCKERFILE)], [undefined, src]);
    assert.equal(read(out, "got"), "inside");
  });

  it("executeFileOp() never writes through a destination symlink that points outside", async () => {
    const outside = newDir("outside");
    const src = tree({ "f": "payload", "d/g": "payload" });
    const dest = tree({ "esc": { link: outside }, "rel": { link: "../../../../../" + outside } });
    const out = await run([
      { ...copyAction("/f", "/esc/f", DOCKERFILE), output: -1 },
      { ...copyAction("/d", "/rel/", DOCKERFILE), input: 2, output: 0 },
    ], [dest, src]);
    assert.deepEqual(fs.readdirSync(outside), []);
    // The writes landed inside the root, where the links resolve in a chroot.
    assert.equal(read(out, outside.slice(1) + "/f"), "payload");
    assert.equal(read(out, outside.slice(1) + "/g"), "payload");
  });

  it("executeFileOp() replaces a destination file symlink instead of writing through it", async () => {
    const outside = newDir("outside");
    fs.writeFileSync(path.join(outside, "victim"), "orig");
    const src = tree({ "d/victim": "new" });
    const dest = tree({ "out/victim": { link: path.join(outside, "victim") } });
    const out = await run([copyAction("/d", "/out", DOCKERFILE)], [dest, src]);
    assert.equal(fs.readFileSync(path.join(outside, "victim"), "utf8"), "orig");
    assert.equal(read(out, "out/victim"), "new");
    assert.ok(!fs.lstatSync(path.join(out, "out/victim")).isSymbolicLink());
  });

  it("executeFileOp() preserves modes and mtimes without overrides", async () => {
    const src = tree({ "d/x": { mode: 0o751, data: "x" } });
    fs.utimesSync(path.join(src, "d/x"), 1000, 1_234_567_890);
    fs.chmodSync(path.join(src, "d"), 0o700);
    const out = await run([copyAction("/d", "/o", { createDestPath: true })], [undefined, src]);
    // /o did not exist: the directory is copied as /o.
    assert.equal(mode(out, "o/x"), 0o751);
    assert.equal(mode(out, "o"), 0o700);
    assert.equal(fs.statSync(path.join(out, "o/x")).mtimeMs, 1_234_567_890_000);
  });

  it("executeFileOp() sets the timestamp of copied entries", async () => {
    const src = tree({ "d/x": "x", "d/sub/y": "y" });
    const out = await run(
      [copyAction("/d", "/new/o", { ...DOCKERFILE, timestamp: 1_600_000_000 })],
      [undefined, src],
    );
    for (const p of ["new", "new/o", "new/o/x", "new/o/sub", "new/o/sub/y"]) {
      assert.equal(fs.lstatSync(path.join(out, p)).mtimeMs, 1_600_000_000_000, p);
    }
  });

  it("executeFileOp() applies an octal chmod to files and directories", async () => {
    const src = tree({ "d/x": { mode: 0o600, data: "x" }, "d/sub/": "" });
    const out = await run([copyAction("/d", "/o", { ...DOCKERFILE, mode: 0o751 })], [
      undefined,
      src,
    ]);
    assert.equal(mode(out, "o/x"), 0o751);
    assert.equal(mode(out, "o/sub"), 0o751);
  });

  it("executeFileOp() applies a symbolic chmod relative to each entry's mode", async () => {
    const src = tree({
      "d/x": { mode: 0o664, data: "x" },
      "d/run": { mode: 0o764, data: "r" },
      "d/sub/": "",
    });
    fs.chmodSync(path.join(src, "d/sub"), 0o770);
    const out = await run([copyAction("/d", "/o", { ...DOCKERFILE, modeStr: "g-w,o+X" })], [
      undefined,
      src,
    ]);
    assert.equal(mode(out, "o/x"), 0o644);
    assert.equal(mode(out, "o/run"), 0o745);
    assert.equal(mode(out, "o/sub"), 0o751);
  });

  it("executeFileOp() copies only paths matching includePatterns", async () => {
    const src = tree({ "a.go": "a", "b.txt": "b", "pkg/c.go": "c", "pkg/d.md": "d", "empty/": "" });
    const out = await run(
      [copyAction("/", "/o/", { ...DOCKERFILE, includePatterns: ["**/*.go"] })],
      [undefined, src],
    );
    assert.deepEqual(list(path.join(out, "o")), ["a.go", "pkg/", "pkg/c.go"]);
  });

  it("executeFileOp() drops paths matching excludePatterns, with ! re-includes", async () => {
    const src = tree({
      "a.log": "a",
      "b.txt": "b",
      "logs/x.log": "x",
      "logs/keep.log": "k",
      "logs/y.txt": "y",
    });
    const out = await run([
      copyAction("/", "/o/", {
        ...DOCKERFILE,
        excludePatterns: ["*.log", "logs", "!logs/keep.log"],
      }),
    ], [undefined, src]);
    assert.deepEqual(list(path.join(out, "o")), ["b.txt", "logs/", "logs/keep.log"]);
  });

  it("executeFileOp() keeps the source path with parents (frontend form, no pivot)", async () => {
    const src = tree({ "a/b/c.txt": "c", "a/b/d.txt": "d", "z.txt": "z" });
    const out = await run([copyAction("/", "/out/", {
      ...DOCKERFILE,
      includePatterns: ["a/b/c.txt"],
      requiredPaths: ["/a/b/c.txt"],
      parents: true,
    })], [undefined, src]);
    assert.deepEqual(list(path.join(out, "out")), ["a/", "a/b/", "a/b/c.txt"]);
  });

  it("executeFileOp() keeps the path below a /./ pivot with parents", async () => {
    const src = tree({ "a/b/c.txt": "c", "a/x/c.txt": "x", "a/b/d.txt": "d" });
    const out = await run([copyAction("/a/./*/c.txt", "/out/", { ...DOCKERFILE, parents: true })], [
      undefined,
      src,
    ]);
    assert.deepEqual(list(path.join(out, "out")), ["b/", "b/c.txt", "x/", "x/c.txt"]);
    const out2 = await run([copyAction("a/b/c.txt", "/o2/", { ...DOCKERFILE, parents: true })], [
      undefined,
      src,
    ]);
    assert.deepEqual(list(path.join(out2, "o2")), ["a/", "a/b/", "a/b/c.txt"]);
  });

  it("executeFileOp() fails when a required path is missing", async () => {
    const src = tree({ "a/b.txt": "b" });
    await assert.rejects(
      run([
        copyAction("/", "/out/", {
          ...DOCKERFILE,
          includePatterns: ["a/zz"],
          requiredPaths: ["/a/zz"],
        }),
      ], [undefined, src]),
      /"\/a\/zz": not found/,
    );
  });

  it("executeFileOp() replaces a directory by a file only with alwaysReplaceExistingDestPaths", async () => {
    const src = tree({ "d/x": "file" });
    const dest = tree({ "o/x/inner": "old" });
    await assert.rejects(
      run([copyAction("/d", "/o", DOCKERFILE)], [dest, src]),
      /cannot replace to directory/,
    );
    const out = await run([
      copyAction("/d", "/o", { ...DOCKERFILE, alwaysReplaceExistingDestPaths: true }),
    ], [dest, src]);
    assert.equal(read(out, "o/x"), "file");
  });

  it("executeFileOp() replaces an existing file without touching the input's inode", async () => {
    const src = tree({ "f": "new" });
    const dest = tree({ "f": "old" });
    const ino = fs.statSync(path.join(dest, "f")).ino;
    const out = await run([copyAction("/f", "/f", DOCKERFILE)], [dest, src]);
    assert.equal(read(out, "f"), "new");
    assert.equal(read(dest, "f"), "old");
    assert.equal(fs.statSync(path.join(dest, "f")).ino, ino);
  });

  it("executeFileOp() copies from a scratch secondary input as an empty tree", async () => {
    const out = await run([copyAction("/", "/o/", DOCKERFILE)], [undefined, undefined]);
    assert.deepEqual(list(out), ["o/"]);
  });
});

describe("executeFileOp() ownership", () => {
  const passwd =
    "root:x:0:0:root:/root:/bin/sh\n# comment\napp:x:1000:1001:App:/home/app:/bin/sh\n";
  const group = "root:x:0:\nstaff:x:50:app\n";

  it(
    "executeFileOp() chowns by id with gid = uid when only a user is given",
    { skip: ROOT_ONLY },
    async () => {
      const src = tree({ "d/x": "x" });
      const out = await run([
        copyAction("/d", "/o", { ...DOCKERFILE, owner: { user: { id: 1234 } } }),
      ], [undefined, src]);
      for (const p of ["o", "o/x"]) {
        const st = fs.lstatSync(path.join(out, p));
        assert.deepEqual([st.uid, st.gid], [1234, 1234], p);
      }
    },
  );

  it("executeFileOp() chowns by name through the destination's /etc/passwd and /etc/group", {
    skip: ROOT_ONLY,
  }, async () => {
    const src = tree({ "x": "x" });
    const dest = tree({ "etc/passwd": passwd, "etc/group": group });
    const owner = { user: { name: "app", input: 0 } };
    const out = await run([copyAction("/x", "/home/app/", { ...DOCKERFILE, owner })], [dest, src]);
    const st = fs.lstatSync(path.join(out, "home/app/x"));
    assert.deepEqual([st.uid, st.gid], [1000, 1001]);
    // Created parent directories get the owner too.
    assert.equal(fs.lstatSync(path.join(out, "home")).uid, 1000);
    const out2 = await run([
      copyAction("/x", "/y", {
        ...DOCKERFILE,
        owner: { user: { name: "app", input: 0 }, group: { name: "staff", input: 0 } },
      }),
    ], [dest, src]);
    const st2 = fs.lstatSync(path.join(out2, "y"));
    assert.deepEqual([st2.uid, st2.gid], [1000, 50]);
  });

  it("executeFileOp() gives 0 for an unknown name, as BuildKit, or fails when strict", {
    skip: ROOT_ONLY,
  }, async () => {
    const src = tree({ "x": "x" });
    fs.chownSync(path.join(src, "x"), 7, 7);
    const dest = tree({ "etc/passwd": passwd, "etc/group": group });
    const owner = { user: { name: "nobody", input: 0 } };
    const out = await run([copyAction("/x", "/y", { ...DOCKERFILE, owner })], [dest, src]);
    assert.equal(fs.lstatSync(path.join(out, "y")).uid, 0);
    await assert.rejects(
      run([copyAction("/x", "/y", { ...DOCKERFILE, owner })], [dest, src], {
        strictOwnerNames: true,
      }),
      /unable to find user nobody/,
    );
    await assert.rejects(
      run(
        [copyAction("/x", "/y", {
          ...DOCKERFILE,
          owner: { group: { name: "nogroup", input: 0 } },
        })],
        [dest, src],
        {
          strictOwnerNames: true,
        },
      ),
      /unable to find group nogroup/,
    );
  });

  it(
    "executeFileOp() keeps the source's ownership without a chown",
    { skip: ROOT_ONLY },
    async () => {
      const src = tree({ "d/x": "x" });
      fs.chownSync(path.join(src, "d/x"), 42, 43);
      fs.lchownSync(path.join(src, "d"), 44, 45);
      const out = await run([copyAction("/d", "/o", { createDestPath: true })], [undefined, src]);
      const x = fs.lstatSync(path.join(out, "o/x"));
      const d = fs.lstatSync(path.join(out, "o"));
      assert.deepEqual([x.uid, x.gid, d.uid, d.gid], [42, 43, 44, 45]);
    },
  );
});

describe("executeFileOp() unpack", () => {
  it("executeFileOp() extracts a local .tar.gz with attemptUnpack", async () => {
    const srcTree = tree({
      "pkg/bin/tool": { mode: 0o755, data: "#!/bin/sh\n" },
      "pkg/.wh.gone": "w",
      "pkg/link": { link: "bin/tool" },
    });
    const src = newDir("ctx");
    execFileSync("tar", ["-czf", path.join(src, "app.tar.gz"), "-C", srcTree, "pkg"]);
    const out = await run([
      copyAction("/app.tar.gz", "/opt/", { ...DOCKERFILE, attemptUnpack: true }),
    ], [undefined, src]);
    assert.deepEqual(list(path.join(out, "opt")), [
      "pkg/",
      "pkg/.wh.gone",
      "pkg/bin/",
      "pkg/bin/tool",
      "pkg/link -> bin/tool",
    ]);
    assert.equal(mode(out, "opt/pkg/bin/tool"), 0o755);
  });

  it("executeFileOp() copies a non-archive file as is with attemptUnpack", async () => {
    const src = tree({ "notes.gz": "not really gzip", "plain.txt": "text" });
    const out = await run([copyAction("/*", "/o/", { ...DOCKERFILE, attemptUnpack: true })], [
      undefined,
      src,
    ]);
    assert.deepEqual(list(path.join(out, "o")), ["notes.gz", "plain.txt"]);
    assert.equal(read(out, "o/notes.gz"), "not really gzip");
  });
});

describe("executeFileOp() mkfile, mkdir, rm, symlink", () => {
  it("executeFileOp() writes a file with mkfile (text, base64, mode, timestamp)", async () => {
    const out = await run([
      { type: "mkfile", path: "/a.txt", mode: 0o640, data: "hi", timestamp: 1_500_000_000 },
      { type: "mkfile", input: 0, path: "/b.bin", mode: 0o600, dataBase64: "AP8=", output: 0 },
    ], []);
    assert.equal(read(out, "a.txt"), "hi");
    assert.equal(mode(out, "a.txt"), 0o640);
    assert.equal(fs.statSync(path.join(out, "a.txt")).mtimeMs, 1_500_000_000_000);
    assert.deepEqual([...fs.readFileSync(path.join(out, "b.bin"))], [0, 255]);
  });

  it("executeFileOp() mkfile replaces an existing file without writing the input", async () => {
    const dest = tree({ "etc/conf": "old" });
    const out = await run([{
      type: "mkfile",
      input: 0,
      output: 0,
      path: "/etc/conf",
      mode: 0o644,
      data: "new",
    }], [dest]);
    assert.equal(read(out, "etc/conf"), "new");
    assert.equal(read(dest, "etc/conf"), "old");
    await assert.rejects(
      run([{ type: "mkfile", input: 0, output: 0, path: "/nodir/x", mode: 0o644, data: "" }], [
        dest,
      ]),
      /no such file or directory/,
    );
  });

  it("executeFileOp() mkdir with makeParents sets mode, owner and timestamp on every new dir", async () => {
    const owner = { user: { id: 5 }, group: { id: 6 } };
    const out = await run([{
      type: "mkdir",
      path: "/a/b/c",
      mode: 0o750,
      makeParents: true,
      owner,
      timestamp: 1_400_000_000,
      output: 0,
    }], []);
    for (const p of ["a", "a/b", "a/b/c"]) {
      const st = fs.lstatSync(path.join(out, p));
      assert.equal(st.mode & 0o777, 0o750, p);
      assert.equal(st.mtimeMs, 1_400_000_000_000, p);
      if (isRoot) assert.deepEqual([st.uid, st.gid], [5, 6], p);
    }
  });

  it("executeFileOp() mkdir accepts an existing dir and fails on a missing parent without makeParents", async () => {
    const dest = tree({ "d/": "" });
    const out = await run([{ type: "mkdir", input: 0, output: 0, path: "/d", mode: 0o700 }], [
      dest,
    ]);
    assert.ok(fs.statSync(path.join(out, "d")).isDirectory());
    await assert.rejects(
      run([{ type: "mkdir", input: 0, output: 0, path: "/x/y", mode: 0o755 }], [dest]),
      /mkdir \/x\/y: no such file or directory/,
    );
  });

  it("executeFileOp() mkdir uses the context epoch when the action has no timestamp", async () => {
    const out = await run([{ type: "mkdir", path: "/e", mode: 0o755, output: 0 }], [], {
      epoch: 1_300_000_000,
    });
    assert.equal(fs.statSync(path.join(out, "e")).mtimeMs, 1_300_000_000_000);
  });

  it("executeFileOp() rm removes paths, honours allowNotFound and wildcards", async () => {
    const dest = tree({ "a/x": "1", "b.log": "2", "c.log": "3", "keep": "k" });
    const out = await run([
      { type: "rm", input: 0, path: "/a" },
      { type: "rm", input: 1, path: "/*.log", allowWildcard: true },
      { type: "rm", input: 2, path: "/missing", allowNotFound: true, output: 0 },
    ], [dest]);
    assert.deepEqual(list(out), ["keep"]);
    await assert.rejects(
      run([{ type: "rm", input: 0, output: 0, path: "/missing" }], [dest]),
      /no such file or directory/,
    );
  });

  it("executeFileOp() rm of a symlink removes the link, not its target", async () => {
    const outside = newDir("outside");
    fs.writeFileSync(path.join(outside, "precious"), "p");
    const dest = tree({ "l": { link: outside }, "d/f": "f", "dl": { link: "d" } });
    const out = await run([
      { type: "rm", input: 0, path: "/l" },
      { type: "rm", input: 1, path: "/dl", output: 0 },
    ], [dest]);
    assert.deepEqual(list(out), ["d/", "d/f"]);
    assert.ok(fs.existsSync(path.join(outside, "precious")));
  });

  it("executeFileOp() creates a symlink with owner and timestamp, failing when it exists", async () => {
    const owner = { user: { id: 9 } };
    const out = await run([{
      type: "symlink",
      oldpath: "/target",
      newpath: "/link",
      owner,
      timestamp: 1_200_000_000,
      output: 0,
    }], []);
    const st = fs.lstatSync(path.join(out, "link"));
    assert.equal(fs.readlinkSync(path.join(out, "link")), "/target");
    assert.equal(st.mtimeMs, 1_200_000_000_000);
    if (isRoot) assert.equal(st.uid, 9);
    const dest = tree({ "exists": "f" });
    await assert.rejects(
      run([{ type: "symlink", input: 0, output: 0, oldpath: "x", newpath: "/exists" }], [dest]),
      /file exists/,
    );
  });
});

describe("executeFileOp() chains", () => {
  it("executeFileOp() runs a chain of actions and exposes intermediate outputs", async () => {
    const src = tree({ "app/main": "m" });
    const actions: FileActionOp[] = [
      { type: "mkdir", input: 0, path: "/srv", mode: 0o755, output: 1 },
      { type: "copy", input: 2, secondaryInput: 1, src: "/app", dest: "/srv/", ...DOCKERFILE },
      { type: "symlink", input: 3, oldpath: "/srv/main", newpath: "/main", output: 0 },
    ];
    const dest = tree({ "etc/": "" });
    const outs = await executeFileOp(actions, context([dest, src]));
    assert.equal(outs.length, 2);
    assert.deepEqual(list(outs[1]!), ["etc/", "srv/"]);
    assert.deepEqual(list(outs[0]!), ["etc/", "main -> /srv/main", "srv/", "srv/main"]);
  });

  it("executeFileOp() never modifies its input directories", async () => {
    const src = tree({ "d/a": "a", "d/l": { link: "a" }, "d/sub/b": "b", "t.txt": "t" });
    const dest = tree({
      "etc/passwd": "app:x:1:1::/:/bin/sh\n",
      "f": "old",
      "d/x": "x",
      "gone/y": "y",
    });
    fs.linkSync(path.join(dest, "f"), path.join(dest, "f2"));
    const before = [fingerprint(src), fingerprint(dest)];
    await executeFileOp([
      {
        type: "copy",
        input: 0,
        secondaryInput: 1,
        src: "/d",
        dest: "/d",
        ...DOCKERFILE,
        mode: 0o700,
        owner: { user: { name: "app", input: 0 } },
      },
      {
        type: "copy",
        input: 2,
        secondaryInput: 1,
        src: "/t.txt",
        dest: "/f",
        ...DOCKERFILE,
        timestamp: 5,
      },
      { type: "mkfile", input: 3, path: "/f2", mode: 0o600, data: "z" },
      { type: "mkdir", input: 4, path: "/d", mode: 0o700 },
      { type: "rm", input: 5, path: "/gone" },
      {
        type: "copy",
        input: 6,
        secondaryInput: 0,
        src: "/etc",
        dest: "/etc2",
        ...DOCKERFILE,
        modeStr: "go-rwx",
        output: 0,
      },
    ], context([dest, src]));
    assert.deepEqual([fingerprint(src), fingerprint(dest)], before);
  });

  it("executeFileOp() rejects an action index that names a later action", async () => {
    await assert.rejects(
      executeFileOp([{ type: "mkdir", input: 1, path: "/x", mode: 0o755, output: 0 }], context([])),
      /invalid file action input index 1/,
    );
  });

  it("executeFileOp() strips host paths from error messages", async () => {
    const dest = tree({ "f": "file" });
    const err = await executeFileOp(
      [{ type: "mkdir", input: 0, path: "/f/sub", mode: 0o755, makeParents: true, output: 0 }],
      context([dest]),
    ).then(() => undefined, (e: Error) => e);
    assert.ok(err instanceof Error);
    assert.ok(!err.message.includes(base), err.message);
  });
});
