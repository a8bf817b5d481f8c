// Copyright 2026 the buildkit-ts authors. MIT license.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  parseGroup,
  parsePasswd,
  resolveExecUser,
  resolveExecUserFrom,
} from "../../src/worker/exec_user.ts";

const PASSWD = [
  "root:x:0:0:root:/root:/bin/sh",
  "# a comment",
  "app:x:1000:1000:app:/home/app:/bin/sh",
  "svc:x:200:300::/srv:/bin/false",
  "broken line",
  "",
].join("\n");
const GROUP = [
  "root:x:0:",
  "app:x:1000:",
  "wheel:x:10:app,root",
  "docker:x:999:svc, app",
  "staff:x:50:",
  "",
].join("\n");
const FILES = { passwd: PASSWD, group: GROUP };

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("resolveExecUserFrom()", () => {
  it("resolveExecUserFrom() treats an empty user as root", () => {
    assert.deepEqual(resolveExecUserFrom("", FILES), { uid: 0, gid: 0, additionalGids: [] });
    assert.deepEqual(resolveExecUserFrom(undefined, {}), { uid: 0, gid: 0, additionalGids: [] });
  });

  it("resolveExecUserFrom() resolves a name to its ids and supplementary groups", () => {
    assert.deepEqual(resolveExecUserFrom("app", FILES), {
      uid: 1000,
      gid: 1000,
      additionalGids: [10, 999],
    });
  });

  it("resolveExecUserFrom() resolves a uid through passwd, or keeps it with gid 0", () => {
    assert.deepEqual(resolveExecUserFrom("200", FILES), {
      uid: 200,
      gid: 300,
      additionalGids: [999],
    });
    assert.deepEqual(resolveExecUserFrom("4242", FILES), { uid: 4242, gid: 0, additionalGids: [] });
  });

  it("resolveExecUserFrom() takes uid:gid as is without reading files", () => {
    assert.deepEqual(resolveExecUserFrom("1000:50", {}), {
      uid: 1000,
      gid: 50,
      additionalGids: [],
    });
  });

  it("resolveExecUserFrom() lets an explicit group replace the gid, without supplementary groups", () => {
    assert.deepEqual(resolveExecUserFrom("app:staff", FILES), {
      uid: 1000,
      gid: 50,
      additionalGids: [],
    });
    assert.deepEqual(resolveExecUserFrom("app:77", FILES), {
      uid: 1000,
      gid: 77,
      additionalGids: [],
    });
    assert.deepEqual(resolveExecUserFrom("4242:wheel", FILES), {
      uid: 4242,
      gid: 10,
      additionalGids: [],
    });
  });

  it("resolveExecUserFrom() fails on unknown names", () => {
    assert.throws(
      () => resolveExecUserFrom("ghost", FILES),
      /unable to find user ghost: no matching entries in passwd file/,
    );
    assert.throws(() => resolveExecUserFrom("app:ghosts", FILES), /unable to find group ghosts/);
    assert.throws(() => resolveExecUserFrom("app", {}), /unable to find user app/);
  });

  it("parsePasswd() and parseGroup() skip comments and malformed lines", () => {
    assert.deepEqual(parsePasswd(PASSWD).map((e) => e.name), ["root", "app", "svc"]);
    assert.deepEqual(parseGroup(GROUP).find((g) => g.name === "docker")!.members, ["svc", "app"]);
  });
});

describe("resolveExecUser()", () => {
  it("resolveExecUser() reads /etc/passwd and /etc/group of the rootfs through symlinks", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "bkts-user-"));
    dirs.push(root);
    fs.mkdirSync(path.join(root, "etc"));
    fs.mkdirSync(path.join(root, "data"));
    fs.writeFileSync(path.join(root, "data", "passwd"), PASSWD);
    fs.symlinkSync("/data/passwd", path.join(root, "etc", "passwd"));
    fs.writeFileSync(path.join(root, "etc", "group"), GROUP);
    assert.deepEqual(await resolveExecUser(root, "app"), {
      uid: 1000,
      gid: 1000,
      additionalGids: [10, 999],
    });
    assert.deepEqual(await resolveExecUser(root, "5:6"), { uid: 5, gid: 6, additionalGids: [] });
  });
});
