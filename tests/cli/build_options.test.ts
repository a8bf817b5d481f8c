import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseBuildOptions } from "../../src/cli/build_options.ts";
import { NotImplementedError, UsageError } from "../../src/cli/errors.ts";
import { parseKeyValueCsv, splitCsv } from "../../src/cli/csv.ts";

const noEnv = { env: (_: string) => undefined };

describe("parseBuildOptions()", () => {
  it("parseBuildOptions() reads buildx's flag names, repeated flags and the context", () => {
    const o = parseBuildOptions([
      "-f",
      "Dockerfile.dev",
      "--build-arg",
      "A=1",
      "--build-arg=B=x=y",
      "--target",
      "final",
      "--platform",
      "linux/amd64,linux/arm64",
      "--platform=linux/riscv64",
      "--build-context",
      "base=docker-image://alpine",
      "-t",
      "a:1.10",
      "-t",
      "b",
      "--label",
      "k=v",
      "ctx",
    ], noEnv);
    assert.equal(o.file, "Dockerfile.dev");
    assert.deepEqual(o.buildArgs, { A: "1", B: "x=y" });
    assert.equal(o.target, "final");
    assert.deepEqual(o.platforms, ["linux/amd64", "linux/arm64", "linux/riscv64"]);
    assert.deepEqual(o.buildContexts, { base: "docker-image://alpine" });
    assert.deepEqual(o.tags, ["a:1.10", "b"]);
    assert.deepEqual(o.labels, { k: "v" });
    assert.equal(o.context, "ctx");
  });

  it("parseBuildOptions() takes a bare --build-arg NAME from the environment, as buildx", () => {
    const o = parseBuildOptions(["--build-arg", "FROM_ENV", "--build-arg", "UNSET", "."], {
      env: (k) => (k === "FROM_ENV" ? "v" : undefined),
    });
    assert.deepEqual(o.buildArgs, { FROM_ENV: "v" });
  });

  it("parseBuildOptions() rejects an unknown flag with a suggestion", () => {
    assert.throws(
      () => parseBuildOptions(["--build-ar", "A=1", "."], noEnv),
      (e: unknown) =>
        e instanceof UsageError &&
        /unknown flag: --build-ar \(did you mean --build-arg\?\)/.test(e.message),
    );
  });

  it("parseBuildOptions() says which buildx flags are not implemented yet", () => {
    assert.throws(
      () => parseBuildOptions(["--attest", "type=sbom", "."], noEnv),
      NotImplementedError,
    );
    assert.throws(
      () => parseBuildOptions(["--push", "."], noEnv),
      /--push needs at least one -t NAME/,
    );
  });

  it("parseBuildOptions() requires exactly one context", () => {
    assert.throws(() => parseBuildOptions([], noEnv), /requires exactly 1 argument/);
    assert.throws(() => parseBuildOptions(["a", "b"], noEnv), /requires exactly 1 argument/);
  });

  it("parseBuildOptions() validates --build-context and --progress", () => {
    assert.throws(() => parseBuildOptions(["--build-context", "noeq", "."], noEnv), /NAME=SOURCE/);
    assert.throws(
      () => parseBuildOptions(["--progress", "fancy", "."], noEnv),
      /invalid progress mode/,
    );
    const o = parseBuildOptions(["."], {
      env: (k) => (k === "BUILDKIT_PROGRESS" ? "plain" : undefined),
    });
    assert.equal(o.progress, "plain");
  });
});

describe("splitCsv()", () => {
  it("splitCsv() keeps quoted commas and doubled quotes", () => {
    assert.deepEqual(splitCsv('type=oci,"dest=a,b","x="""'), ["type=oci", "dest=a,b", 'x="']);
    assert.throws(() => splitCsv('x=a"b'), /bare " in a non-quoted field/, "as Go's encoding/csv");
    assert.deepEqual(parseKeyValueCsv("type=local,dest=out,flag"), [["type", "local"], [
      "dest",
      "out",
    ], [
      "flag",
      undefined,
    ]]);
    assert.throws(() => splitCsv('"open'), /unterminated quote/);
  });
});
