// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  checkMountSyntax,
  parseCsvFields,
  parseDevice,
  parseMount,
  ramInBytes,
} from "../../src/dockerfile/instructions/mod.ts";

describe("RUN --mount", () => {
  it("parseMount() defaults to a read-only bind mount", () => {
    assert.deepEqual(parseMount("target=/src"), {
      type: "bind",
      from: "",
      source: "",
      target: "/src",
      readOnly: true,
      sizeLimit: 0,
      cacheId: "",
      required: false,
    });
  });

  it("parseMount() makes cache and tmpfs mounts writable by default", () => {
    assert.equal(parseMount("type=cache,target=/c").readOnly, false);
    assert.equal(parseMount("type=tmpfs,target=/t").readOnly, false);
    assert.equal(parseMount("type=cache,target=/c,ro").readOnly, true);
    assert.equal(parseMount("type=bind,target=/b,rw").readOnly, false);
    assert.equal(parseMount("type=bind,target=/b,readwrite=true").readOnly, false);
    assert.equal(parseMount("type=bind,target=/b,readonly=false").readOnly, false);
  });

  it("parseMount() reads every key, case-insensitively", () => {
    const m = parseMount(
      "TYPE=Cache,Dst=/root/.cache,id=pip,sharing=LOCKED,from=base,src=/seed,mode=0700,uid=1000,gid=1001",
    );
    assert.equal(m.type, "cache");
    assert.equal(m.target, "/root/.cache");
    assert.equal(m.cacheId, "pip");
    assert.equal(m.cacheSharing, "locked");
    assert.equal(m.from, "base");
    assert.equal(m.source, "/seed");
    assert.equal(m.mode, 0o700);
    assert.equal(m.uid, 1000);
    assert.equal(m.gid, 1001);
    const s = parseMount("type=secret,id=tok,env=TOKEN,required");
    assert.equal(s.type, "secret");
    assert.equal(s.env, "TOKEN");
    assert.equal(s.required, true);
    assert.equal(s.readOnly, true);
    assert.equal(parseMount("type=ssh,required=false").required, false);
    assert.equal(parseMount("type=tmpfs,target=/t,size=64m").sizeLimit, 64 * 1024 * 1024);
  });

  it("parseMount() expands values, not keys", () => {
    const env: Record<string, string> = { DIR: "/cache", T: "cache" };
    const expand = (s: string) => s.replace(/\$(\w+)/g, (_, k: string) => env[k] ?? "");
    const m = parseMount("type=$T,target=$DIR", expand);
    assert.equal(m.type, "cache");
    assert.equal(m.target, "/cache");
  });

  it("parseMount() suggests the closest key, type or sharing mode", () => {
    assert.throws(() => parseMount("typ=cache"), {
      message: "unexpected key 'typ' in 'typ=cache' (did you mean type?)",
    });
    assert.throws(() => parseMount("type=cahce"), {
      message: 'unsupported mount type "cahce" (did you mean cache?)',
    });
    assert.throws(() => parseMount("type=cache,sharing=privat"), {
      message: 'unsupported sharing value "privat" (did you mean private?)',
    });
    assert.throws(() => parseMount("zzzz=bar"), {
      message: "unexpected key 'zzzz' in 'zzzz=bar'",
    });
  });

  it("parseMount() rejects options that do not fit the type", () => {
    assert.throws(() => parseMount("type=bind,size=1m"), {
      message: "unexpected key 'size' for mount type 'bind'",
    });
    assert.throws(() => parseMount("type=cache,required"), {
      message: "unexpected key 'required' for mount type 'cache'",
    });
    assert.throws(() => parseMount("type=bind,mode=0755"), {
      message: 'mode not allowed for "bind" type mounts',
    });
    assert.throws(() => parseMount("type=tmpfs,uid=1"), {
      message: 'uid not allowed for "tmpfs" type mounts',
    });
    assert.throws(() => parseMount("type=bind,sharing=locked"), {
      message: "invalid cache sharing set for bind mount",
    });
    assert.throws(() => parseMount("type=cache,target"), {
      message: "invalid field 'target' must be a key=value pair",
    });
  });

  it("parseMount() checks secret mounts", () => {
    assert.throws(() => parseMount("type=secret"), {
      message: "invalid secret mount. one of source, target required",
    });
    assert.throws(() => parseMount("type=secret,id=a,from=x"), {
      message: "secret mount should not have a from",
    });
    assert.throws(() => parseMount("type=secret,id=a,sharing=shared"), {
      message: "secret mount should not define sharing",
    });
    assert.throws(() => parseMount("type=secret,id=a,source=b"), {
      message: "both source and id can't be set",
    });
  });

  it("parseMount() rejects invalid values", () => {
    assert.throws(() => parseMount("type=cache,target=/c,mode=0789"), {
      message: "invalid value 0789 for mode",
    });
    assert.throws(() => parseMount("type=cache,target=/c,uid=-1"), {
      message: "invalid value -1 for uid",
    });
    assert.throws(() => parseMount("type=bind,ro=maybe"), {
      message: "invalid value for ro: maybe",
    });
    assert.throws(() => parseMount("type=tmpfs,size=lots"), {
      message: "invalid value for size: lots",
    });
    assert.throws(() => parseMount(""), { message: "failed to parse csv mounts: EOF" });
  });

  it("checkMountSyntax() forbids variables in from but nothing else", () => {
    checkMountSyntax("type=$T,target=$DIR,from=stage$");
    assert.throws(() => checkMountSyntax("from=$IMG"), {
      message: "'from' doesn't support variable expansion, define alias stage instead",
    });
  });

  it("parseCsvFields() handles quotes like go-csvvalue", () => {
    assert.deepEqual(parseCsvFields('a,"b,c",d'), ["a", "b,c", "d"]);
    assert.deepEqual(parseCsvFields('"a ""q"" b"'), ['a "q" b']);
    assert.deepEqual(parseCsvFields("a,"), ["a", ""]);
    assert.throws(() => parseCsvFields('a"b'), {
      message: 'parse error on line 1, column 2: bare " in non-quoted-field',
    });
    assert.throws(() => parseCsvFields('"ab'), {
      message: 'parse error on line 1, column 2: extraneous or missing " in quoted-field',
    });
  });

  it("ramInBytes() reads docker sizes with binary units", () => {
    assert.equal(ramInBytes("100"), 100);
    assert.equal(ramInBytes("1k"), 1024);
    assert.equal(ramInBytes("1.5KiB"), 1536);
    assert.equal(ramInBytes("2 MB"), 2 * 1024 * 1024);
    assert.equal(ramInBytes("1g"), 1024 ** 3);
    assert.equal(ramInBytes("1x"), undefined);
    assert.equal(ramInBytes("-1"), undefined);
  });

  it("parseDevice() reads names and the required option", () => {
    assert.deepEqual(parseDevice("vendor.com/gpu=all"), {
      name: "vendor.com/gpu=all",
      required: false,
    });
    assert.deepEqual(parseDevice("name=/dev/fuse,required"), { name: "/dev/fuse", required: true });
    assert.throws(() => parseDevice("a,b"), {
      message: "invalid field 'b' must be a key=value pair",
    });
    assert.throws(() => parseDevice("a,nme=x"), {
      message: "unexpected key 'nme' in 'nme=x' (did you mean name?)",
    });
  });
});
