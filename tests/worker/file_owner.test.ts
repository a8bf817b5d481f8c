// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseIdFile, resolveOwner } from "../../src/worker/file_owner.ts";

function treeWith(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "file-owner-"));
  for (const [p, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), data);
  }
  return root;
}

describe("file_owner", () => {
  it("parseIdFile() reads passwd and group lines, skipping comments and bad lines", () => {
    const p = parseIdFile(
      "# c\nroot:x:0:0::/:/bin/sh\nbad:x:notnum:1\napp:x:10:20::/:\n",
      "passwd",
    );
    assert.deepEqual(p, [{ name: "root", id: 0, gid: 0 }, { name: "app", id: 10, gid: 20 }]);
    const g = parseIdFile("wheel:x:10:a,b\n\nstaff:x:50:\n", "group");
    assert.deepEqual(g.map((e) => [e.name, e.id]), [["wheel", 10], ["staff", 50]]);
  });

  it("resolveOwner() gives gid = uid for a numeric user and lets a group override it", async () => {
    const treeOf = () => undefined;
    assert.deepEqual(await resolveOwner({ user: { id: 7 } }, { treeOf }), { uid: 7, gid: 7 });
    assert.deepEqual(await resolveOwner({ user: { id: 7 }, group: { id: 3 } }, { treeOf }), {
      uid: 7,
      gid: 3,
    });
    assert.deepEqual(await resolveOwner({ group: { id: 3 } }, { treeOf }), { uid: 0, gid: 3 });
    assert.equal(await resolveOwner(undefined, { treeOf }), undefined);
    assert.equal(await resolveOwner({}, { treeOf }), undefined);
  });

  it("resolveOwner() looks names up in the tree named by the ref's input", async () => {
    const a = treeWith({ "etc/passwd": "app:x:1000:1001::/:\n", "etc/group": "g:x:77:\n" });
    const b = treeWith({ "etc/passwd": "app:x:5:5::/:\n" });
    const treeOf = (i: number) => (i === 0 ? a : i === 1 ? b : undefined);
    assert.deepEqual(await resolveOwner({ user: { name: "app", input: 0 } }, { treeOf }), {
      uid: 1000,
      gid: 1001,
    });
    assert.deepEqual(await resolveOwner({ user: { name: "app", input: 1 } }, { treeOf }), {
      uid: 5,
      gid: 5,
    });
    assert.deepEqual(
      await resolveOwner({ user: { name: "app", input: 1 }, group: { name: "g", input: 0 } }, {
        treeOf,
      }),
      { uid: 5, gid: 77 },
    );
  });

  it("resolveOwner() resolves /etc/passwd through symlinks inside the tree only", async () => {
    const a = treeWith({ "real/passwd": "app:x:42:43::/:\n" });
    fs.mkdirSync(path.join(a, "etc"));
    fs.symlinkSync("/real/passwd", path.join(a, "etc/passwd"));
    assert.deepEqual(
      await resolveOwner({ user: { name: "app", input: 0 } }, { treeOf: () => a }),
      { uid: 42, gid: 43 },
    );
  });

  it("resolveOwner() uses 0 for unknown names unless strict, and needs a tree for names", async () => {
    const a = treeWith({});
    const treeOf = (i: number) => (i === 0 ? a : undefined);
    assert.deepEqual(await resolveOwner({ user: { name: "ghost", input: 0 } }, { treeOf }), {
      uid: 0,
      gid: 0,
    });
    await assert.rejects(
      resolveOwner({ user: { name: "ghost", input: 0 } }, { treeOf, strictNames: true }),
      /unable to find user ghost/,
    );
    assert.deepEqual(
      await resolveOwner({ user: { name: "root", input: 0 } }, { treeOf, strictNames: true }),
      { uid: 0, gid: 0 },
    );
    await assert.rejects(
      resolveOwner({ user: { name: "app" } }, { treeOf }),
      /invalid missing user mount/,
    );
  });
});
