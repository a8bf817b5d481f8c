// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { dockerfileToLlb } from "../../src/frontend/convert.ts";
import type { ConvertOptions, ConvertResult } from "../../src/frontend/options.ts";
import { DockerfileError } from "../../src/dockerfile/errors.ts";
import { AMD64, fakeResolver, opKind } from "./_fixtures.ts";

function convert(dockerfile: string, extra: Partial<ConvertOptions> = {}): Promise<ConvertResult> {
  return dockerfileToLlb({ dockerfile }, {
    buildPlatform: AMD64,
    resolver: fakeResolver(),
    ...extra,
  });
}

async function rejects(dockerfile: string, message: RegExp, extra: Partial<ConvertOptions> = {}) {
  await assert.rejects(convert(dockerfile, extra), (e: unknown) => {
    assert.ok(e instanceof DockerfileError, `expected DockerfileError, got ${e}`);
    assert.match(e.message, message);
    return true;
  });
}

function digestsOf(res: ConvertResult): string[] {
  return res.definition.ops.map((o) => o.digest);
}

function names(res: ConvertResult): string[] {
  return res.definition.ops.map((o) =>
    res.definition.metadata[o.digest]?.description?.["llb.customname"] ?? ""
  );
}

describe("dockerfileToLlb()", () => {
  it("dockerfileToLlb() turns a RUN into an exec op with shell, env, cwd and user", async () => {
    const res = await convert("FROM alpine\nWORKDIR /app\nUSER 1000\nENV A=1\nRUN echo $A\n");
    const exec = res.definition.ops.map((o) => o.op).find((op) => "exec" in op);
    assert.ok(exec && "exec" in exec);
    assert.deepEqual(exec.exec.meta.args, ["/bin/sh", "-c", "echo $A"]);
    assert.equal(exec.exec.meta.cwd, "/app");
    assert.equal(exec.exec.meta.user, "1000");
    assert.ok(exec.exec.meta.env?.includes("A=1"));
    const h = res.image.history!.at(-1)!;
    assert.equal(h.created_by, "RUN /bin/sh -c echo $A # buildkit");
    assert.equal(h.comment, "buildkit.dockerfile.v0");
  });

  it("dockerfileToLlb() writes build args used by RUN into its history text", async () => {
    const res = await convert("FROM alpine\nARG A=1\nARG B\nRUN echo hi\n", {
      buildArgs: { B: "2" },
    });
    assert.equal(
      res.image.history!.at(-1)!.created_by,
      "RUN |2 A=1 B=2 /bin/sh -c echo hi # buildkit",
    );
    assert.equal(res.image.history!.at(-2)!.created_by, "ARG B=2");
    assert.equal(res.image.history!.at(-2)!.empty_layer, true);
  });

  it("dockerfileToLlb() lets a stage ARG without default inherit the global value", async () => {
    const res = await convert("ARG V=g\nFROM alpine\nARG V\nRUN echo $V\n");
    const exec = res.definition.ops.map((o) => o.op).find((op) => "exec" in op);
    assert.ok(exec && "exec" in exec && exec.exec.meta.env?.includes("V=g"));
  });

  it("dockerfileToLlb() keeps global ARGs out of stages that do not redeclare them", async () => {
    const res = await convert("ARG V=g\nFROM alpine\nRUN echo $V\n");
    const exec = res.definition.ops.map((o) => o.op).find((op) => "exec" in op);
    assert.ok(exec && "exec" in exec && !exec.exec.meta.env?.some((e) => e.startsWith("V=")));
  });

  it("dockerfileToLlb() adds the default PATH to a scratch image", async () => {
    const res = await convert("FROM scratch\nENV A=1\n");
    assert.deepEqual(res.image.config?.Env, [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "A=1",
    ]);
    assert.equal(res.image.config?.WorkingDir, "/");
  });

  it("dockerfileToLlb() resets CMD on ENTRYPOINT unless CMD was set in the stage", async () => {
    const a = await convert('FROM alpine\nENTRYPOINT ["/e"]\n');
    assert.equal(a.image.config?.Cmd, undefined);
    const b = await convert('FROM alpine\nCMD ["c"]\nENTRYPOINT ["/e"]\n');
    assert.deepEqual(b.image.config?.Cmd, ["c"]);
  });

  it("dockerfileToLlb() builds only the stages reachable from --target", async () => {
    const df =
      "FROM alpine AS a\nRUN echo a\nFROM alpine AS b\nRUN echo b\nFROM a AS c\nRUN echo c\n";
    const res = await convert(df, { target: "c" });
    const ns = names(res).join("\n");
    assert.match(ns, /echo a/);
    assert.match(ns, /echo c/);
    assert.doesNotMatch(ns, /echo b/);
    assert.deepEqual(res.stages.map((s) => s.reachable), [true, false, true]);
  });

  it("dockerfileToLlb() resolves only reachable base images", async () => {
    const calls: string[] = [];
    await convert("FROM busybox AS x\nFROM alpine\n", { resolver: fakeResolver(calls) });
    assert.deepEqual(calls, ["docker.io/library/alpine:latest linux/amd64"]);
  });

  it("dockerfileToLlb() computes followPaths for the build context", async () => {
    const res = await convert("FROM alpine\nCOPY b.txt a/ /x/\n");
    const src = res.definition.ops.map((o) => o.op).find((op) =>
      "source" in op && op.source.identifier === "local://context"
    );
    assert.ok(src && "source" in src);
    assert.equal(src.source.attrs?.["local.followpaths"], JSON.stringify(["a", "b.txt"]));
  });

  it("dockerfileToLlb() marks every vertex of a --no-cache stage", async () => {
    const res = await convert("FROM alpine AS s\nRUN echo\n", { noCache: ["s"] });
    const exec = res.definition.ops.find((o) => opKind(o.op) === "exec")!;
    assert.equal(res.definition.metadata[exec.digest]?.ignoreCache, true);
  });

  it("dockerfileToLlb() adds --label values to the final image", async () => {
    const res = await convert("FROM alpine\nLABEL a=1\n", { labels: { b: "2" } });
    assert.deepEqual(res.image.config?.Labels, { a: "1", b: "2" });
  });

  it("dockerfileToLlb() replaces a base image with a named context", async () => {
    const res = await convert("FROM alpine\nRUN true\n", {
      namedContexts: { alpine: "docker-image://busybox:1" },
    });
    const ids = res.definition.ops.map((o) => "source" in o.op ? o.op.source.identifier : "");
    assert.ok(ids.some((i) => i.startsWith("docker-image://docker.io/library/busybox:1")));
  });

  it("dockerfileToLlb() gives one result per target platform", async () => {
    const res = await convert("FROM alpine\nARG TARGETARCH\nRUN echo $TARGETARCH\n", {
      targetPlatforms: [{ os: "linux", architecture: "arm64" }, {
        os: "linux",
        architecture: "amd64",
      }],
    });
    assert.equal(res.platforms.length, 2);
    assert.equal(res.platforms[0]!.image.architecture, "arm64");
    assert.match(names(res).join("\n"), /^\[linux\/arm64 2\/2\] RUN echo arm64$/m);
  });

  it("dockerfileToLlb() reports used and unused build args", async () => {
    const res = await convert("FROM alpine\nARG A\n", { buildArgs: { A: "1", B: "2" } });
    assert.deepEqual(res.buildArgs, { used: ["A"], unused: ["B"] });
  });
});

describe("dockerfileToLlb() errors", () => {
  it("dockerfileToLlb() rejects a blank base name", async () => {
    await rejects("ARG X\nFROM $X\n", /^base name \(\$X\) should not be blank$/);
  });
  it("dockerfileToLlb() rejects an unknown target", async () => {
    await rejects("FROM alpine AS build\n", /^target stage "biuld" could not be found/, {
      target: "biuld",
    });
  });
  it("dockerfileToLlb() rejects a circular stage dependency", async () => {
    await rejects(
      "FROM alpine AS a\nCOPY --from=b /x /x\nFROM alpine AS b\nCOPY --from=a /y /y\n",
      /circular dependency detected on stage: a/,
    );
  });
  it("dockerfileToLlb() rejects an invalid --platform", async () => {
    await rejects("FROM --platform=not/a/valid/platform alpine\n", /failed to parse platform/);
  });
  it("dockerfileToLlb() rejects variables in COPY --from", async () => {
    await rejects(
      "FROM alpine\nCOPY --from=$X /a /b\n",
      /variable expansion is not supported for --from/,
    );
  });
  it("dockerfileToLlb() rejects a URL source for COPY", async () => {
    await rejects("FROM alpine\nCOPY https://example.com/a /a\n", /source can't be a URL for COPY/);
  });
  it("dockerfileToLlb() rejects several sources into a non-directory", async () => {
    await rejects(
      "FROM alpine\nCOPY a b /dst\n",
      /destination must be a directory and end with a \//,
    );
  });
  it("dockerfileToLlb() points errors at the instruction's lines", async () => {
    await assert.rejects(convert("FROM alpine\n\nCOPY https://x.example/a /a\n"), (e: unknown) => {
      assert.ok(e instanceof DockerfileError);
      assert.deepEqual(e.range, [{ start: 3, end: 3 }]);
      return true;
    });
  });
  it("dockerfileToLlb() rejects an empty Dockerfile", async () => {
    await rejects("", /the Dockerfile cannot be empty/);
  });
});

describe("dockerfileToLlb() properties", () => {
  const df = [
    "ARG V=1",
    "FROM alpine AS base",
    "RUN echo base",
    "FROM base AS uses",
    "ARG V",
    "RUN echo $V",
    "FROM alpine AS other",
    "RUN echo other",
    "FROM scratch",
    "COPY --from=uses /a /a",
    "COPY --from=other /b /b",
    "",
  ].join("\n");

  it("dockerfileToLlb() gives the same digests for the same input", async () => {
    const a = await convert(df);
    const b = await convert(df);
    assert.deepEqual(digestsOf(a), digestsOf(b));
    assert.deepEqual(a.image, b.image);
  });

  it("dockerfileToLlb() digests do not change with comments and blank lines", async () => {
    const a = await convert(df);
    const commented = df.split("\n").flatMap((l) => [l, "", "# a comment"]).join("\n");
    const b = await convert(commented);
    assert.deepEqual(digestsOf(a), digestsOf(b));
  });

  it("dockerfileToLlb() changing a build arg changes exactly the dependent vertices", async () => {
    const a = await convert(df, { buildArgs: { V: "1" } });
    const b = await convert(df, { buildArgs: { V: "2" } });
    const sa = new Set(digestsOf(a));
    const changed = digestsOf(b).filter((d) => !sa.has(d));
    const nameOf = (d: string) =>
      b.definition.metadata[d]?.description?.["llb.customname"] ?? "(terminal)";
    assert.deepEqual(changed.map(nameOf), [
      "[uses 1/1] RUN echo $V".replace("$V", "2"),
      "[stage-3 1/2] COPY --from=uses /a /a",
      "[stage-3 2/2] COPY --from=other /b /b",
      "(terminal)",
    ]);
  });
});
