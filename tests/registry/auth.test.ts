// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  allowsPlainHttp,
  basicAuthorization,
  credentialKey,
  isRetryable,
  mergeScopes,
  parseChallenges,
  parseErrorBody,
  parseRetryAfter,
  redact,
  registryApiHost,
  RegistryError,
  withRetry,
} from "../../src/registry/mod.ts";

describe("auth helpers", () => {
  it("parseChallenges() reads bearer parameters, quoted commas included", () => {
    const [c] = parseChallenges(
      'Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push"',
    );
    assert.equal(c?.scheme, "bearer");
    assert.deepEqual(c?.params, {
      realm: "https://auth.example/token",
      service: "reg",
      scope: "repository:a/b:pull,push",
    });
  });

  it("parseChallenges() splits several challenges in one header", () => {
    const list = parseChallenges('Basic realm="x", Bearer realm="https://t/",service=s');
    assert.deepEqual(list.map((c) => c.scheme), ["basic", "bearer"]);
    assert.equal(list[1]?.params.service, "s");
  });

  it("mergeScopes() unites the actions on one repository", () => {
    assert.deepEqual(
      mergeScopes([
        "repository:a:push",
        "repository:a:pull",
        "repository:b:pull",
        "registry:catalog:*",
      ]),
      ["registry:catalog:*", "repository:a:pull,push", "repository:b:pull"],
    );
  });

  it("basicAuthorization() encodes UTF-8 user:password", () => {
    assert.equal(basicAuthorization("ü", "p"), "Basic " + btoa("\xc3\xbc:p"));
  });

  it("registryApiHost() and credentialKey() map Docker Hub", () => {
    assert.equal(registryApiHost("docker.io"), "registry-1.docker.io");
    assert.equal(credentialKey("docker.io"), "https://index.docker.io/v1/");
    assert.equal(credentialKey("ghcr.io"), "ghcr.io");
  });

  it("allowsPlainHttp() allows only loopback and named insecure registries", () => {
    assert.ok(allowsPlainHttp("127.0.0.1:5000"));
    assert.ok(allowsPlainHttp("localhost:5000"));
    assert.ok(allowsPlainHttp("[::1]:5000"));
    assert.ok(!allowsPlainHttp("10.0.0.1:5000"));
    assert.ok(allowsPlainHttp("10.0.0.1:5000", ["10.0.0.1:5000"]));
    assert.ok(allowsPlainHttp("r.lan:5000", ["http://r.lan"]));
    assert.ok(!allowsPlainHttp("r.lan:5000", ["other.lan"]));
  });
});

describe("redaction and errors", () => {
  it("redact() hides header values, URL user info, token parameters and named secrets", () => {
    const text = redact(
      'Authorization: Bearer eyJabc.def authorization: Basic dTpw https://me:pw@h/x?token=t0k&a=1 {"password":"hunter2"} plain hunter2',
      ["hunter2"],
    );
    assert.ok(!/eyJabc|dTpw|me:pw|t0k|hunter2/.test(text), text);
    assert.match(text, /a=1/);
  });

  it("RegistryError redacts its message and marks 5xx and 429 as temporary", () => {
    const e = new RegistryError("failed with Basic dXNlcjpwYXNz for s3cret", {
      status: 503,
      secrets: ["s3cret"],
    });
    assert.ok(!e.message.includes("dXNlcjpwYXNz") && !e.message.includes("s3cret"));
    assert.ok(e.temporary);
    assert.ok(new RegistryError("x", { status: 429 }).temporary);
    assert.ok(!new RegistryError("x", { status: 404 }).temporary);
  });

  it("parseErrorBody() reads the registry's error entries", () => {
    const errors = parseErrorBody(
      '{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown","detail":{"d":1}}]}',
    );
    assert.deepEqual(errors, [{ code: "BLOB_UNKNOWN", message: "blob unknown", detail: { d: 1 } }]);
    assert.deepEqual(parseErrorBody("<html>"), []);
  });
});

describe("retries", () => {
  it("withRetry() retries temporary failures and stops at the attempt limit", async () => {
    let n = 0;
    await assert.rejects(
      withRetry(() => {
        n++;
        return Promise.reject(new RegistryError("busy", { status: 503 }));
      }, { attempts: 3, baseDelayMs: 1 }),
      RegistryError,
    );
    assert.equal(n, 3);
  });

  it("withRetry() does not retry a permanent failure", async () => {
    let n = 0;
    await assert.rejects(
      withRetry(() => {
        n++;
        return Promise.reject(new RegistryError("nope", { status: 404 }));
      }, { attempts: 5, baseDelayMs: 1 }),
    );
    assert.equal(n, 1);
  });

  it("withRetry() stops when the time budget would be exceeded", async () => {
    let n = 0;
    const start = Date.now();
    await assert.rejects(
      withRetry(() => {
        n++;
        return Promise.reject(new TypeError("fetch failed"));
      }, { attempts: 100, baseDelayMs: 50, maxDelayMs: 50, deadlineMs: 120 }),
    );
    assert.ok(n >= 2 && n <= 4, `${n} attempts`);
    assert.ok(Date.now() - start < 1000);
  });

  it("isRetryable() and parseRetryAfter() classify failures", () => {
    assert.ok(isRetryable(new TypeError("fetch failed")));
    assert.ok(!isRetryable(new Error("bad json")));
    assert.equal(parseRetryAfter("3"), 3000);
    assert.equal(parseRetryAfter(null), undefined);
  });
});
