// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { goDuration, goList, goQuoteList } from "../../src/frontend/go_format.ts";
import { goQuote } from "../../src/dockerfile/mod.ts";
import { EnvList } from "../../src/frontend/env_list.ts";
import { healthcheckHistory, historyEntry, runCommandString } from "../../src/frontend/history.ts";
import { prefixCommand, uppercaseCommand } from "../../src/frontend/progress_name.ts";
import {
  basePath,
  cleanPath,
  containsWildcards,
  joinPath,
  normalizeWorkdir,
  pathRelativeToWorkingDir,
} from "../../src/frontend/paths.ts";

describe("go_format", () => {
  it("goQuote() escapes like strconv.Quote", () => {
    assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(goQuote("\t\n\x00\x7f"), '"\\t\\n\\x00\\x7f"');
    assert.equal(goQuote("♥"), '"♥"');
  });
  it("goQuoteList() and goList() render Go slices", () => {
    assert.equal(goQuoteList(["/bin/sh", "-c", "echo hi"]), '["/bin/sh" "-c" "echo hi"]');
    assert.equal(goQuoteList([]), "[]");
    assert.equal(goList(["/a", "/b"]), "[/a /b]");
  });
  it("goDuration() formats like time.Duration.String", () => {
    assert.equal(goDuration(0), "0s");
    assert.equal(goDuration(30_000_000_000), "30s");
    assert.equal(goDuration(90_000_000_000), "1m30s");
    assert.equal(goDuration(3_600_000_000_000), "1h0m0s");
    assert.equal(goDuration(1_500_000_000), "1.5s");
    assert.equal(goDuration(100_000_000), "100ms");
    assert.equal(goDuration(1_500), "1.5µs");
    assert.equal(goDuration(12), "12ns");
  });
});

describe("EnvList", () => {
  it("EnvList.set() moves a re-set key to the end", () => {
    const env = EnvList.empty().set("A", "1").set("B", "2").set("A", "3");
    assert.deepEqual(env.toArray(), ["B=2", "A=3"]);
    assert.equal(env.get("A"), "3");
    assert.equal(env.get("C"), undefined);
  });
  it("EnvList.fromArray() splits at the first =", () => {
    const env = EnvList.fromArray(["PATH=/bin", "X=a=b", "EMPTY"]);
    assert.equal(env.get("X"), "a=b");
    assert.equal(env.get("EMPTY"), "");
    assert.equal(env.has("EMPTY"), true);
  });
});

describe("history", () => {
  it("runCommandString() prefixes build args with their count", () => {
    const env = EnvList.empty().set("A", "1").set("B", "x");
    const s = runCommandString(
      ["/bin/sh", "-c", "echo hi"],
      [{ key: "A", value: "1" }, { key: "B", value: "2" }, { key: "A", value: "1" }],
      env,
    );
    assert.equal(s, "|2 A=1 B=x /bin/sh -c echo hi");
    assert.equal(runCommandString(["ls"], [], env), "ls");
  });
  it("healthcheckHistory() renders Go %+v", () => {
    assert.equal(
      healthcheckHistory({
        test: ["CMD-SHELL", "curl -f http://x/"],
        interval: 30e9,
        timeout: 3e9,
        startPeriod: 0,
        startInterval: 0,
        retries: 3,
      }),
      "HEALTHCHECK {Test:[CMD-SHELL curl -f http://x/] Interval:30s Timeout:3s StartPeriod:0s StartInterval:0s Retries:3}",
    );
  });
  it("historyEntry() marks metadata-only steps as empty layers", () => {
    assert.deepEqual(historyEntry("ENV A=1", { layer: false }), {
      created_by: "ENV A=1",
      comment: "buildkit.dockerfile.v0",
      empty_layer: true,
    });
    assert.deepEqual(historyEntry("COPY a /b", { layer: true, buildkitSuffix: true }), {
      created_by: "COPY a /b # buildkit",
      comment: "buildkit.dockerfile.v0",
    });
  });
});

describe("progress_name", () => {
  it("prefixCommand() pads the step number to the width of the total", () => {
    const c = { total: 12, index: 0 };
    assert.equal(prefixCommand(c, "FROM x", { stageName: "build" }), "[build  1/12] FROM x");
    c.index = 9;
    assert.equal(prefixCommand(c, "RUN y", { stageName: "" }), "[10/12] RUN y");
    const p = { total: 2, index: 0 };
    assert.equal(
      prefixCommand(p, "RUN z", { stageName: "s", platform: "linux/arm64", onBuild: true }),
      "[linux/arm64 s 1/2] ONBUILD RUN z",
    );
    assert.equal(prefixCommand({ total: 0, index: 0 }, "RUN z", { stageName: "s" }), "RUN z");
  });
  it("uppercaseCommand() upper-cases only the keyword", () => {
    assert.equal(uppercaseCommand("copy a b"), "COPY a b");
    assert.equal(uppercaseCommand("run"), "RUN");
  });
});

describe("paths", () => {
  it("cleanPath() and joinPath() follow Go's path package", () => {
    assert.equal(cleanPath("/a/b/../c/"), "/a/c");
    assert.equal(cleanPath("/../a"), "/a");
    assert.equal(cleanPath("a/../../b"), "../b");
    assert.equal(cleanPath(""), ".");
    assert.equal(joinPath("/", "a", "../b"), "/b");
    assert.equal(joinPath("", ""), "");
    assert.equal(basePath("/a/b/"), "b");
    assert.equal(basePath("/"), "/");
  });
  it("normalizeWorkdir() joins relative paths to the previous one", () => {
    assert.equal(normalizeWorkdir("/", "app"), "/app");
    assert.equal(normalizeWorkdir("/app", "src/../lib"), "/app/lib");
    assert.equal(normalizeWorkdir("/app", "/srv"), "/srv");
    assert.equal(normalizeWorkdir("", "x"), "/x");
  });
  it("pathRelativeToWorkingDir() keeps a trailing slash", () => {
    assert.equal(pathRelativeToWorkingDir("/app", "."), "/app/");
    assert.equal(pathRelativeToWorkingDir("/app", "sub/"), "/app/sub/");
    assert.equal(pathRelativeToWorkingDir("/app", "f.txt"), "/app/f.txt");
    assert.equal(pathRelativeToWorkingDir("/app", "/abs/"), "/abs/");
    assert.equal(pathRelativeToWorkingDir("/", "x/."), "/x/.");
  });
  it("containsWildcards() skips escaped characters", () => {
    assert.equal(containsWildcards("src/*.ts"), true);
    assert.equal(containsWildcards("a[bc]"), true);
    assert.equal(containsWildcards("a\\*b"), false);
    assert.equal(containsWildcards("plain"), false);
  });
});
