// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  copy,
  type FileOp,
  image,
  local,
  marshal,
  mkdir,
  mkfile,
  rm,
  scratch,
  type State,
  symlink,
} from "../../src/llb/mod.ts";

function lastFileOp(state: State): { op: FileOp; inputs: number } {
  const def = marshal(state);
  const op = def.ops.at(-2)!.op;
  assert.ok("file" in op, "expected a file op");
  return { op: op.file, inputs: op.inputs?.length ?? 0 };
}

describe("FileAction", () => {
  it("FileAction chains refer to previous actions by index inputs + k - 1", () => {
    const ctx = local("context");
    const s = image("alpine").file(
      mkdir("/app", 0o755).copy(ctx, "/src", "/app/").rm("/app/tmp").symlink("/app", "/current"),
    );
    const { op, inputs } = lastFileOp(s);
    assert.equal(inputs, 2);
    assert.deepEqual(op.actions.map((a) => [a.type, a.input, a.secondaryInput, a.output]), [
      ["mkdir", 0, undefined, undefined],
      ["copy", 2, 1, undefined],
      ["rm", 3, undefined, undefined],
      ["symlink", 4, undefined, 0],
    ]);
  });

  it("FileAction on scratch starts from input -1", () => {
    const { op, inputs } = lastFileOp(scratch().file(mkdir("/a", 0o700)));
    assert.equal(inputs, 0);
    assert.deepEqual(op.actions, [{ type: "mkdir", path: "/a", mode: 0o700, output: 0 }]);
  });

  it("FileAction resolves relative paths against the states' dirs", () => {
    const src = local("context").withDir("/sub");
    const s = image("alpine").withDir("/app").file(
      copy(src, "file.txt", "dest/").mkfile("f", 0o644, "x").mkdir("d", 0o755).rm("../r").symlink(
        "t",
        "l",
      ),
    );
    const { op } = lastFileOp(s);
    assert.deepEqual(
      op.actions.map((a) =>
        a.type === "copy" ? [a.src, a.dest] : a.type === "symlink" ? [a.oldpath, a.newpath] : a.path
      ),
      [
        ["/sub/file.txt", "/app/dest/"],
        "/app/f",
        "/app/d",
        "/r",
        ["t", "/app/l"],
      ],
    );
  });

  it("copy() writes every option", () => {
    const ctx = local("context");
    const { op } = lastFileOp(
      scratch().file(copy(ctx, "/a/*", "/b", {
        owner: "app:staff",
        mode: "755",
        followSymlinks: true,
        copyDirContentsOnly: true,
        attemptUnpack: true,
        createDestPath: true,
        allowWildcard: true,
        allowEmptyWildcard: true,
        includePatterns: ["x"],
        excludePatterns: ["y"],
        timestamp: new Date(1_700_000_000_000),
        alwaysReplaceExistingDestPaths: true,
        parents: true,
        requiredPaths: ["/a/req"],
      })),
    );
    assert.deepEqual(op.actions[0], {
      type: "copy",
      secondaryInput: 0,
      output: 0,
      src: "/a/*",
      dest: "/b",
      owner: { user: { name: "app" }, group: { name: "staff" } },
      mode: 0o755,
      followSymlinks: true,
      copyDirContentsOnly: true,
      attemptUnpack: true,
      createDestPath: true,
      allowWildcard: true,
      allowEmptyWildcard: true,
      includePatterns: ["x"],
      excludePatterns: ["y"],
      timestamp: 1_700_000_000,
      alwaysReplaceExistingDestPaths: true,
      parents: true,
      requiredPaths: ["/a/req"],
    });
  });

  it("copy() takes symbolic modes as modeStr and numeric owners as ids", () => {
    const ctx = local("context");
    const { op } = lastFileOp(
      image("alpine").file(copy(ctx, "/a", "/b", { mode: "u+x", owner: "1000:0" })),
    );
    const a = op.actions[0]!;
    assert.ok(a.type === "copy");
    assert.equal(a.modeStr, "u+x");
    assert.equal(a.mode, undefined);
    assert.deepEqual(a.owner, { user: { id: 1000 }, group: { id: 0 } });
  });

  it("owner names resolve against the action's input", () => {
    const { op } = lastFileOp(image("alpine").file(mkdir("/a", 0o755, { owner: { user: "app" } })));
    assert.deepEqual(op.actions[0]!.type === "mkdir" && op.actions[0]!.owner, {
      user: { name: "app", input: 0 },
    });
  });

  it("mkfile() stores text as data and other bytes as base64", () => {
    const text =
      lastFileOp(scratch().file(mkfile("/t", 0o644, new TextEncoder().encode("héllo")))).op;
    assert.deepEqual(text.actions[0], {
      type: "mkfile",
      path: "/t",
      mode: 0o644,
      data: "héllo",
      output: 0,
    });
    const bin = lastFileOp(scratch().file(mkfile("/b", 0o644, new Uint8Array([0xc3])))).op;
    assert.deepEqual(bin.actions[0], {
      type: "mkfile",
      path: "/b",
      mode: 0o644,
      dataBase64: "ww==",
      output: 0,
    });
  });

  it("mkfile() text and the same bytes give the same digest", () => {
    const a = marshal(scratch().file(mkfile("/t", 0o644, "abc")));
    const b = marshal(scratch().file(mkfile("/t", 0o644, new TextEncoder().encode("abc"))));
    assert.equal(a.ops[0]!.digest, b.ops[0]!.digest);
  });

  it("rm() and symlink() write their flags", () => {
    const { op } = lastFileOp(
      scratch().file(
        rm("/x", { allowNotFound: true, allowWildcard: true }).symlink("/a", "/b", {
          owner: 5,
          timestamp: 0,
        }),
      ),
    );
    assert.deepEqual(op.actions, [
      { type: "rm", path: "/x", allowNotFound: true, allowWildcard: true },
      {
        type: "symlink",
        oldpath: "/a",
        newpath: "/b",
        owner: { user: { id: 5 } },
        timestamp: 0,
        input: 0,
        output: 0,
      },
    ]);
  });

  it("symlink() starts a chain and keeps oldpath verbatim", () => {
    const { op } = lastFileOp(scratch().withDir("/bin").file(symlink("busybox", "sh")));
    assert.deepEqual(op.actions, [{
      type: "symlink",
      oldpath: "busybox",
      newpath: "/bin/sh",
      output: 0,
    }]);
  });

  it("FileAction values are immutable: extending one does not change it", () => {
    const base = mkdir("/a", 0o755);
    const extended = base.mkdir("/b", 0o755);
    assert.equal(lastFileOp(scratch().file(base)).op.actions.length, 1);
    assert.equal(lastFileOp(scratch().file(extended)).op.actions.length, 2);
  });

  it("FileAction rejects invalid timestamps and ids", () => {
    assert.throws(() => marshal(scratch().file(mkdir("/a", 0o755, { timestamp: -5 }))), RangeError);
    assert.throws(() => marshal(scratch().file(mkdir("/a", 0o755, { owner: -1 }))), RangeError);
  });

  it("copy() from the same source twice uses one op input", () => {
    const ctx = local("context");
    const { op, inputs } = lastFileOp(
      image("alpine").file(copy(ctx, "/a", "/a").copy(ctx, "/b", "/b")),
    );
    assert.equal(inputs, 2);
    assert.deepEqual(op.actions.map((a) => a.secondaryInput), [1, 1]);
  });
});
