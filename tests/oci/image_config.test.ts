// Copyright 2026 the buildkit-ts authors. MIT license.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import {
  type ImageConfig,
  normalizeImageConfig,
  OciValidationError,
  parseImageConfig,
  serializeImageConfig,
} from "../../src/oci/mod.ts";
import { COMPAT_DIR, COMPAT_SKIP, goldens } from "./_corpus.ts";

const DIFF = "sha256:" + "3".repeat(64);

function base(): Record<string, unknown> {
  return {
    architecture: "amd64",
    os: "linux",
    config: { Env: ["PATH=/bin"] },
    rootfs: { type: "layers", diff_ids: [DIFF] },
    history: [{ created: "2024-01-01T00:00:00Z", created_by: "x" }],
  };
}

function rejectsAt(value: unknown, path: string): void {
  assert.throws(() => parseImageConfig(JSON.stringify(value)), (e: unknown) => {
    assert.ok(e instanceof OciValidationError, String(e));
    assert.ok(
      e.issues.some((i) => i.path === path),
      `expected an issue at ${path}, got ${JSON.stringify(e.issues)}`,
    );
    return true;
  });
}

describe("parseImageConfig()", () => {
  it(
    "parseImageConfig() accepts every config.json of the BuildKit goldens",
    { skip: COMPAT_SKIP },
    () => {
      const files = goldens("config.json");
      assert.ok(files.length > 0);
      for (const file of files) {
        const c = parseImageConfig(readFileSync(file));
        assert.equal(c.rootfs.diff_ids?.length, 4, relative(COMPAT_DIR, file));
      }
    },
  );
  it("parseImageConfig() keeps Docker's legacy fields such as container_config", () => {
    const value = { ...base(), container_config: { Hostname: "h" }, docker_version: "20.10" };
    const c = parseImageConfig(JSON.stringify(value)) as unknown as Record<string, unknown>;
    assert.deepEqual(c.container_config, { Hostname: "h" });
  });
  it("parseImageConfig() accepts Go's null collections", () => {
    const value = base();
    value.config = {
      Env: null,
      Cmd: null,
      Volumes: null,
      Entrypoint: null,
      OnBuild: null,
      Labels: null,
    };
    assert.equal(parseImageConfig(JSON.stringify(value)).config?.Env, null);
  });
  it("parseImageConfig() accepts a full Dockerfile-style config", () => {
    const value = base();
    value.config = {
      User: "app",
      ExposedPorts: { "80/tcp": {} },
      Env: ["A=1"],
      Entrypoint: ["/bin/sh", "-c"],
      Cmd: ["run"],
      Volumes: { "/data": {} },
      WorkingDir: "/app",
      Labels: { a: "b" },
      StopSignal: "SIGTERM",
      ArgsEscaped: true,
      Healthcheck: {
        Test: ["CMD", "true"],
        Interval: 30e9,
        Timeout: 5e9,
        StartPeriod: 0,
        Retries: 3,
      },
      OnBuild: ["RUN x"],
      Shell: ["/bin/bash", "-c"],
    };
    assert.equal(parseImageConfig(JSON.stringify(value)).config?.Healthcheck?.Retries, 3);
  });
  it("parseImageConfig() names config.Env[1] for a non-string entry", () => {
    const value = base();
    value.config = { Env: ["A=1", 2] };
    rejectsAt(value, "config.Env[1]");
  });
  it("parseImageConfig() names rootfs.diff_ids[0] for a bad diff ID", () => {
    const value = base();
    value.rootfs = { type: "layers", diff_ids: ["sha256:nothex"] };
    rejectsAt(value, "rootfs.diff_ids[0]");
  });
  it("parseImageConfig() rejects a rootfs type other than layers", () => {
    const value = base();
    value.rootfs = { type: "tarballs", diff_ids: [] };
    rejectsAt(value, "rootfs.type");
  });
  it("parseImageConfig() requires architecture and os", () => {
    const value = base();
    delete value.os;
    rejectsAt(value, "os");
  });
  it("parseImageConfig() names history[0].created for a time that is not RFC 3339", () => {
    const value = base();
    value.history = [{ created: "yesterday" }];
    rejectsAt(value, "history[0].created");
  });
  it("parseImageConfig() names config.Healthcheck.Retries for a fractional count", () => {
    const value = base();
    value.config = { Healthcheck: { Retries: 1.5 } };
    rejectsAt(value, "config.Healthcheck.Retries");
  });
  it("parseImageConfig() names the quoted key os.features", () => {
    rejectsAt({ ...base(), "os.features": "x" }, '["os.features"]');
  });
});

describe("serializeImageConfig()", () => {
  it("serializeImageConfig() reproduces every golden config.json byte for byte", {
    skip: COMPAT_SKIP,
  }, () => {
    // The goldens are compact JSON without a trailing newline (their digest in
    // manifest.json is the sha256 of the file as is).
    for (const file of goldens("config.json")) {
      const text = readFileSync(file, "utf8");
      assert.equal(serializeImageConfig(parseImageConfig(text)), text, relative(COMPAT_DIR, file));
    }
  });
  it("serializeImageConfig() sorts top-level keys and keeps nested key order", () => {
    const text = serializeImageConfig({
      rootfs: { diff_ids: [], type: "layers" },
      os: "linux",
      config: { WorkingDir: "/", Env: ["A=1"] },
      architecture: "arm64",
    } as ImageConfig);
    assert.equal(
      text,
      '{"architecture":"arm64","config":{"WorkingDir":"/","Env":["A=1"]},"os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
    );
  });
  it("serializeImageConfig() writes history entries in Go struct order without empty fields", () => {
    const text = serializeImageConfig({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [] },
      history: [{
        empty_layer: false,
        comment: "c",
        author: "",
        created_by: "b",
        created: "2015-10-21T07:28:00.000Z",
      }],
    });
    assert.ok(
      text.includes(
        '"history":[{"created":"2015-10-21T07:28:00Z","created_by":"b","comment":"c"}]',
      ),
    );
  });
  it("serializeImageConfig() escapes like Go's encoding/json", () => {
    const text = serializeImageConfig({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [] },
      config: { Cmd: ["a<b>&c", "\u2028", "\b\f\u0001\n", "é"] },
    });
    assert.ok(
      text.includes('"Cmd":["a\\u003cb\\u003e\\u0026c","\\u2028","\\b\\f\\u0001\\n","é"]'),
      text,
    );
  });
});

describe("normalizeImageConfig()", () => {
  it("normalizeImageConfig() drops legacy fields and applies omitempty in struct order", () => {
    const c = normalizeImageConfig({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [] },
      config: {
        Shell: [],
        Labels: { z: "1", a: "2" },
        Cmd: ["sh"],
        Env: ["PATH=/bin"],
        Volumes: null,
        User: "",
        ExposedPorts: { "443/tcp": {}, "80/tcp": {} },
        Healthcheck: { Test: ["NONE"], Interval: 0 },
        Hostname: "legacy",
      } as ImageConfig["config"],
      container_config: {},
    } as ImageConfig);
    assert.equal(
      serializeImageConfig(c),
      '{"architecture":"amd64","config":{"ExposedPorts":{"443/tcp":{},"80/tcp":{}},"Env":["PATH=/bin"],"Cmd":["sh"],"Labels":{"a":"2","z":"1"},"Healthcheck":{"Test":["NONE"]}},"os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
    );
  });
  it(
    "normalizeImageConfig() keeps a golden config's runtime settings",
    { skip: COMPAT_SKIP },
    () => {
      const file = goldens("config.json")[0]!;
      const c = normalizeImageConfig(parseImageConfig(readFileSync(file)));
      assert.deepEqual(c.config, {
        Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        Cmd: ["sh"],
      });
      assert.equal("container_config" in c, false);
    },
  );
});
