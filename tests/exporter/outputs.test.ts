// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  annotationsFor,
  OutputNotImplementedError,
  OutputSpecError,
  parseOutput,
  parseOutputs,
  splitCsv,
} from "../../src/exporter/mod.ts";

describe("parseOutput()", () => {
  it("parseOutput() reads type=oci with its image attributes", () => {
    const o = parseOutput(
      "type=oci,dest=out.tar,name=a:1,compression=zstd,compression-level=3,force-compression=true,rewrite-timestamp=true,source-date-epoch=10,annotation.k=v",
    );
    assert.equal(o.type, "oci");
    if (o.type !== "oci") return;
    assert.equal(o.dest, "out.tar");
    assert.equal(o.tar, true);
    assert.deepEqual(o.image.names, ["a:1"]);
    assert.equal(o.image.compression, "zstd");
    assert.equal(o.image.compressionLevel, 3);
    assert.equal(o.image.forceCompression, true);
    assert.equal(o.image.rewriteTimestamp, true);
    assert.equal(o.image.sourceDateEpoch, 10);
    assert.equal(o.image.ociMediaTypes, true, "zstd forces OCI media types");
    assert.deepEqual(o.image.annotations, [{ target: "manifest", key: "k", value: "v" }]);
  });

  it("parseOutput() makes tar=false a directory layout and requires dest for it", () => {
    const o = parseOutput("type=oci,dest=dir,tar=false");
    assert.ok(o.type === "oci" && o.tar === false && o.dest === "dir");
    assert.throws(() => parseOutput("type=oci,tar=false"), /dest is required for oci exporter/);
    assert.throws(() => parseOutput("type=oci,dest=-,tar=false"), /cannot be stdout/);
  });

  it("parseOutput() reads the -o DIR and -o - shorthands", () => {
    assert.deepEqual(parseOutput("out/dir"), { type: "local", dest: "out/dir", mode: "copy" });
    assert.deepEqual(parseOutput("-"), { type: "tar", dest: "-" });
  });

  it("parseOutput() reads type=docker, local and tar", () => {
    const d = parseOutput("type=docker,dest=img.tar,oci-mediatypes=false");
    assert.ok(d.type === "docker" && d.dest === "img.tar" && d.image.ociMediaTypes === false);
    assert.deepEqual(parseOutput("type=local,dest=out,source-date-epoch=5"), {
      type: "local",
      dest: "out",
      mode: "copy",
      sourceDateEpoch: 5,
    });
    assert.deepEqual(parseOutput("type=tar"), { type: "tar", dest: "-" });
    assert.deepEqual(parseOutput("TYPE=tar,Dest=x.tar"), { type: "tar", dest: "x.tar" });
  });

  it("parseOutput() reads type=image and type=registry (push) and docker without dest (load)", () => {
    const reg = parseOutput("type=registry,name=r.example/app:1");
    assert.ok(reg.type === "image" && reg.push && reg.image.names[0] === "r.example/app:1");
    const img = parseOutput("type=image,name=a,push=true,registry.insecure=true");
    assert.ok(img.type === "image" && img.push && img.insecure);
    const store = parseOutput("type=image,name=a");
    assert.ok(store.type === "image" && !store.push);
    const load = parseOutput("type=docker");
    assert.ok(load.type === "docker" && load.dest === "");
    assert.throws(() => parseOutput("type=registry"), /name= is required/);
    assert.throws(() => parseOutput("type=oci,dest=x,push=true"), /push=true needs type=image/);
    assert.throws(() => parseOutput("type=moby"), OutputNotImplementedError);
  });

  it("parseOutput() names an unknown key, type or bad value", () => {
    assert.throws(
      () => parseOutput("type=oci,dest=x,colour=red"),
      /unknown key "colour" for the oci output/,
    );
    assert.throws(() => parseOutput("type=local,dest=x,tar=false"), /unknown key "tar"/);
    assert.throws(() => parseOutput("type=nope"), /unknown output type "nope"/);
    assert.throws(() => parseOutput("dest=x,name=y"), /type is required for output/);
    assert.throws(
      () => parseOutput("type=oci,dest=x,compression=lz4"),
      /unsupported compression type lz4/,
    );
    assert.throws(
      () => parseOutput("type=oci,dest=x,oci-mediatypes=maybe"),
      /non-bool value "maybe"/,
    );
    assert.throws(() => parseOutput("type=oci,dest=x,source-date-epoch=soon"), /not an integer/);
    assert.throws(
      () => parseOutput("type=oci,dest=x,compression=zstd,oci-mediatypes=false"),
      /conflicts with "oci-mediatypes=false"/,
    );
    assert.throws(
      () => parseOutput("type=oci,dest=x,annotation-foo.k=v"),
      /unrecognized annotation type foo/,
    );
    assert.throws(() => parseOutput("type=oci,dest=x,bad"), OutputSpecError);
  });

  it("parseOutputs() refuses two outputs on stdout", () => {
    assert.throws(
      () => parseOutputs(["-", "type=oci"]),
      /multiple outputs configured to write to stdout/,
    );
    assert.equal(parseOutputs(["type=oci,dest=a.tar", "-", ""]).length, 2);
  });

  it("splitCsv() honours quoted fields", () => {
    assert.deepEqual(splitCsv('type=oci,"name=a:1,b:2",dest=x'), [
      "type=oci",
      "name=a:1,b:2",
      "dest=x",
    ]);
    assert.deepEqual(splitCsv('"annotation.a=say ""hi"""'), ['annotation.a=say "hi"']);
    assert.throws(() => splitCsv('"open'), /unterminated quote/);
  });

  it("annotationsFor() picks platform-specific manifest annotations", () => {
    const o = parseOutput(
      'type=oci,dest=x,annotation-index.i=1,"annotation-manifest[linux/arm64].m=2",annotation-manifest-descriptor.d=3',
    );
    assert.ok(o.type === "oci");
    if (o.type !== "oci") return;
    const arm = annotationsFor(o.image.annotations, { os: "linux", architecture: "arm64" });
    const amd = annotationsFor(o.image.annotations, { os: "linux", architecture: "amd64" });
    assert.deepEqual(arm, {
      index: { i: "1" },
      indexDescriptor: {},
      manifest: { m: "2" },
      manifestDescriptor: { d: "3" },
    });
    assert.deepEqual(amd.manifest, {});
  });
});
