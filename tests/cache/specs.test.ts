// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CacheSpecError,
  parseCacheExportSpec,
  parseCacheImportSpecs,
} from "../../src/cache/mod.ts";

const EXPORTS: Array<[string, unknown]> = [
  ["type=registry,ref=r.example/app:cache", {
    type: "registry",
    ref: "r.example/app:cache",
    mode: "min",
    ociMediaTypes: true,
    imageManifest: true,
    ignoreError: false,
    insecure: false,
  }],
  ["r.example/app:cache", {
    type: "registry",
    ref: "r.example/app:cache",
    mode: "min",
    ociMediaTypes: true,
    imageManifest: true,
    ignoreError: false,
    insecure: false,
  }],
  [
    "TYPE=registry,REF=r/app:c,Mode=max,oci-mediatypes=false,ignore-error=true,registry.insecure=1",
    {
      type: "registry",
      ref: "r/app:c",
      mode: "max",
      ociMediaTypes: false,
      imageManifest: false,
      ignoreError: true,
      insecure: true,
    },
  ],
  ["type=local,dest=/tmp/c", {
    type: "local",
    dest: "/tmp/c",
    tag: "latest",
    mode: "min",
    ociMediaTypes: true,
    imageManifest: true,
    ignoreError: false,
  }],
  ['type=local,"dest=/tmp/a,b",tag=v2,image-manifest=false,compression=zstd,compression-level=3', {
    type: "local",
    dest: "/tmp/a,b",
    tag: "v2",
    mode: "min",
    ociMediaTypes: true,
    imageManifest: false,
    ignoreError: false,
    compression: "zstd",
    compressionLevel: 3,
  }],
  ["type=inline", { type: "inline", ignoreError: false }],
  ["type=inline,mode=min", { type: "inline", ignoreError: false }],
];

const EXPORT_ERRORS: Array<[string, RegExp]> = [
  ["ref=r/app:c", /type required/],
  ["type=registry", /requires ref=/],
  ["type=local", /requires dest=/],
  ["type=registy,ref=r/app:c", /unknown cache type "registy".*did you mean registry\?/],
  ["type=gha", /cache type "gha" is not supported/],
  ["type=s3,bucket=b", /cache type "s3" is not supported/],
  [
    "type=registry,ref=r/a:c,mdoe=max",
    /unknown key "mdoe" for type=registry \(did you mean mode\?\)/,
  ],
  ["type=local,dest=/x,src=/y", /unknown key "src" for type=local \(--cache-to writes dest=\)/],
  ["type=registry,ref=r/a:c,mode=all", /invalid mode "all"/],
  ["type=registry,ref=r/a:c,oci-mediatypes=yes", /invalid boolean for oci-mediatypes/],
  [
    "type=registry,ref=r/a:c,oci-mediatypes=false,image-manifest=true",
    /image-manifest=true needs oci-mediatypes=true/,
  ],
  ["type=inline,mode=max", /inline supports only mode=min/],
  ["type=registry,ref=r/a:c,compression=brotli", /invalid compression "brotli"/],
  ["type=registry,ref=r/a:c,compression=estargz", /estargz is not supported/],
  ["type=registry,ref=r/a:c,force-compression=true", /force-compression=true is not supported/],
  ["type=registry,ref", /invalid value ref/],
  ['type=local,"dest=/x', /unterminated quote/],
];

const IMPORTS: Array<[string, unknown[]]> = [
  ["r/app:cache", [{ type: "registry", ref: "r/app:cache", insecure: false }]],
  ["r/a:1,r/b:2", [
    { type: "registry", ref: "r/a:1", insecure: false },
    { type: "registry", ref: "r/b:2", insecure: false },
  ]],
  ["type=registry,ref=r/app:cache,registry.insecure=true", [
    { type: "registry", ref: "r/app:cache", insecure: true },
  ]],
  ["type=local,src=/tmp/c", [{ type: "local", src: "/tmp/c", tag: "latest" }]],
  [`type=local,src=/tmp/c,tag=v1,digest=sha256:${"a".repeat(64)}`, [
    { type: "local", src: "/tmp/c", tag: "v1", digest: `sha256:${"a".repeat(64)}` },
  ]],
  ["", []],
];

const IMPORT_ERRORS: Array<[string, RegExp]> = [
  ["type=inline", /export-only; import an inline cache with type=registry,ref=IMAGE/],
  ["type=local", /--cache-from: type=local requires src=/],
  ["type=local,dest=/x", /unknown key "dest" for type=local \(--cache-from reads src=\)/],
  ["type=registry,ref=r/a:c,mode=max", /unknown key "mode" for type=registry/],
  ["type=local,src=/x,digest=abc", /invalid digest "abc"/],
  ["type=azblob,name=x", /--cache-from: cache type "azblob" is not supported/],
];

describe("parseCacheExportSpec()", () => {
  for (const [input, want] of EXPORTS) {
    it(`parseCacheExportSpec() reads ${input}`, () => {
      assert.deepEqual(parseCacheExportSpec(input), want);
    });
  }
  for (const [input, message] of EXPORT_ERRORS) {
    it(`parseCacheExportSpec() rejects ${input}`, () => {
      assert.throws(
        () => parseCacheExportSpec(input),
        (e: Error) =>
          e instanceof CacheSpecError && message.test(e.message) &&
          e.message.startsWith("--cache-to"),
      );
    });
  }
});

describe("parseCacheImportSpecs()", () => {
  for (const [input, want] of IMPORTS) {
    it(`parseCacheImportSpecs() reads ${JSON.stringify(input)}`, () => {
      assert.deepEqual(parseCacheImportSpecs(input), want);
    });
  }
  for (const [input, message] of IMPORT_ERRORS) {
    it(`parseCacheImportSpecs() rejects ${input}`, () => {
      assert.throws(
        () => parseCacheImportSpecs(input),
        (e: Error) => e instanceof CacheSpecError && message.test(e.message),
      );
    });
  }
});
