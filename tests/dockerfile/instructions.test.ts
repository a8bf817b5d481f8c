// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Node } from "../../src/dockerfile/ast.ts";
import { DockerfileError } from "../../src/dockerfile/errors.ts";
import { parseDockerfile } from "../../src/dockerfile/parser.ts";
import {
  BFlags,
  checkCopyFrom,
  COPY_FROM_EXPANSION_MESSAGE,
  getDocComment,
  type Instruction,
  type InstructionLint,
  parseInstruction,
  parseStages,
} from "../../src/dockerfile/instructions/mod.ts";

/** A hand-built instruction node (BuildKit test style). */
function node(value: string, args: string[], extra: Partial<Node> = {}): Node {
  const arg = (v: string): Node => ({
    value: v,
    next: [],
    children: [],
    flags: [],
    json: false,
    original: "",
    heredocs: [],
    prevComment: [],
    startLine: 1,
    endLine: 1,
  });
  return {
    value,
    next: args.map(arg),
    children: [],
    flags: [],
    json: false,
    original: `${value.toUpperCase()} ${args.join(" ")}`,
    heredocs: [],
    prevComment: [],
    startLine: 1,
    endLine: 1,
    ...extra,
  };
}

function first(dockerfile: string): Instruction {
  return parseInstruction(parseDockerfile(dockerfile).ast.children[0]!);
}

function errorOf(fn: () => unknown): DockerfileError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DockerfileError, `not a DockerfileError: ${e}`);
    return e;
  }
  assert.fail("expected an error");
}

describe("BFlags", () => {
  it("BFlags.parse() reads bool, string and repeatable flags", () => {
    const f = new BFlags([
      "--link",
      "--from=build",
      "--exclude=a",
      "--exclude=b",
      "--parents=FALSE",
    ]);
    const link = f.addBool("link", false);
    const from = f.addString("from", "");
    const exclude = f.addStrings("exclude");
    const parents = f.addBool("parents", true);
    const chown = f.addString("chown", "def");
    f.parse();
    assert.equal(link.value, "true");
    assert.equal(from.value, "build");
    assert.deepEqual(exclude.values, ["a", "b"]);
    assert.equal(parents.value, "false");
    assert.equal(chown.value, "def");
    assert.deepEqual(f.used(), ["link", "from", "exclude", "parents"]);
  });

  it("BFlags.parse() stops at a bare --", () => {
    const f = new BFlags(["--link", "--", "--bogus"]);
    f.addBool("link", false);
    f.parse();
    assert.ok(f.isUsed("link"));
  });

  it("BFlags.parse() reports BuildKit's flag errors", () => {
    const cases: Array<[string[], string]> = [
      [["--lnk"], "unknown flag: --lnk (did you mean link?)"],
      [["--zzzzzz"], "unknown flag: --zzzzzz"],
      [["--from=a", "--from=b"], "duplicate flag specified: --from"],
      [["--link="], "missing a value on flag: --link"],
      [["--link=yes"], "expecting boolean value for flag --link, not: yes"],
      [["--from"], "missing a value on flag: --from"],
      [["--exclude"], "missing a value on flag: --exclude"],
      [["-x"], "arg should start with -- : -x"],
    ];
    for (const [args, message] of cases) {
      const f = new BFlags(args);
      f.addBool("link", false);
      f.addString("from", "");
      f.addStrings("exclude");
      assert.throws(() => f.parse(), { message }, args.join(" "));
    }
  });

  it("BFlags.parse() reports a flag declared twice", () => {
    const f = new BFlags([]);
    f.addBool("link", false);
    f.addString("link", "");
    assert.throws(() => f.parse(), {
      message: "error setting up flags: Duplicate flag defined: link",
    });
  });
});

describe("parseInstruction()", () => {
  it("parseInstruction() builds FROM with platform and a lower-cased stage name", () => {
    const from = first("FROM --platform=$BUILDPLATFORM golang:1.22 AS Build\n");
    assert.equal(from.kind, "from");
    assert.deepEqual(
      { ...from },
      {
        kind: "from",
        range: [{ start: 1, end: 1 }],
        original: "FROM --platform=$BUILDPLATFORM golang:1.22 AS Build",
        comments: [],
        baseName: "golang:1.22",
        name: "build",
        platform: "$BUILDPLATFORM",
      },
    );
  });

  it("parseInstruction() validates FROM arguments and stage names", () => {
    assert.equal(
      errorOf(() => first("FROM a b\n")).message,
      "FROM requires either one or three arguments",
    );
    assert.equal(
      errorOf(() => first("FROM a AS 1st\n")).message,
      `invalid name for build stage: "1st", name can't start with a number or contain symbols`,
    );
    assert.equal(errorOf(() => first("FROM --plat=x a\n")).message, "unknown flag: --plat");
  });

  it("parseInstruction() reports the unknown instruction with a suggestion and its lines", () => {
    const err = errorOf(() => first("\nFORM alpine\n"));
    assert.equal(err.message, "unknown instruction: FORM (did you mean FROM?)");
    assert.deepEqual(err.range, [{ start: 2, end: 2 }]);
    assert.equal(
      errorOf(() => first("cpoy a b\n")).message,
      "unknown instruction: cpoy (did you mean copy?)",
    );
  });

  it("parseInstruction() builds RUN with mounts, network, security and devices", () => {
    const run = first(
      "RUN --mount=type=cache,target=/c --mount=type=secret,id=x --network=none --security=insecure --device=gpu,required apt-get update\n",
    );
    assert.equal(run.kind, "run");
    if (run.kind !== "run") return;
    assert.deepEqual(run.cmdLine, ["apt-get update"]);
    assert.equal(run.prependShell, true);
    assert.deepEqual(run.mounts, ["type=cache,target=/c", "type=secret,id=x"]);
    assert.equal(run.network, "none");
    assert.equal(run.security, "insecure");
    assert.deepEqual(run.devices, [{ name: "gpu", required: true }]);
    assert.deepEqual(run.flagsUsed, ["device", "mount", "network", "security"]);
  });

  it("parseInstruction() defaults RUN network and security and rejects bad values", () => {
    const run = first('RUN ["echo", "hi"]\n');
    assert.ok(run.kind === "run");
    if (run.kind !== "run") return;
    assert.equal(run.network, "default");
    assert.equal(run.security, "sandbox");
    assert.equal(run.prependShell, false);
    assert.deepEqual(run.cmdLine, ["echo", "hi"]);
    assert.equal(
      errorOf(() => first("RUN --network=bridge x\n")).message,
      'invalid network mode "bridge"',
    );
    assert.equal(errorOf(() => first("RUN --security=x x\n")).message, 'security "x" is not valid');
    assert.equal(
      errorOf(() => first("RUN --mount=from=$IMG,target=/x x\n")).message,
      "'from' doesn't support variable expansion, define alias stage instead",
    );
  });

  it("parseInstruction() keeps RUN heredocs unchomped", () => {
    const run = first("RUN <<-EOF\n\techo hi\nEOF\n");
    assert.ok(run.kind === "run");
    if (run.kind !== "run") return;
    assert.deepEqual(run.cmdLine, ["<<-EOF"]);
    assert.deepEqual(run.files, [{ name: "EOF", data: "\techo hi\n", chomp: true }]);
  });

  it("parseInstruction() builds COPY with every flag and chomped heredoc sources", () => {
    const copy = first(
      "COPY --from=build --chown=1:2 --chmod=0755 --link --parents --exclude=*.md --exclude=x a <<-EOF /dst/\n\thello\nEOF\n",
    );
    assert.equal(copy.kind, "copy");
    if (copy.kind !== "copy") return;
    assert.equal(copy.from, "build");
    assert.equal(copy.chown, "1:2");
    assert.equal(copy.chmod, "0755");
    assert.equal(copy.link, true);
    assert.equal(copy.parents, true);
    assert.deepEqual(copy.exclude, ["*.md", "x"]);
    assert.deepEqual(copy.sourcePaths, ["a"]);
    assert.deepEqual(copy.sourceContents, [{ path: "EOF", data: "hello\n", expand: true }]);
    assert.equal(copy.destPath, "/dst/");
    assert.deepEqual(copy.range, [{ start: 1, end: 3 }]);
  });

  it("parseInstruction() builds ADD with optional booleans only when given", () => {
    const add = first("ADD --checksum=sha256:abc --keep-git-dir=false https://x/y.tar /y\n");
    assert.equal(add.kind, "add");
    if (add.kind !== "add") return;
    assert.equal(add.checksum, "sha256:abc");
    assert.equal(add.keepGitDir, false);
    assert.equal("unpack" in add, false);
    assert.equal(errorOf(() => first("ADD --from=x a b\n")).message, "unknown flag: --from");
    assert.equal(
      errorOf(() => first("COPY a <<EOF\nx\nEOF\n")).message,
      "COPY cannot accept a heredoc as a destination",
    );
  });

  it("parseInstruction() builds ENV and LABEL pairs", () => {
    const env = first('ENV A=1 B="two words"\n');
    assert.ok(env.kind === "env");
    if (env.kind !== "env") return;
    assert.deepEqual(env.env, [
      { key: "A", value: "1", noDelim: false },
      { key: "B", value: '"two words"', noDelim: false },
    ]);
    const legacy = first("ENV A one two\n");
    assert.ok(legacy.kind === "env");
    if (legacy.kind !== "env") return;
    assert.deepEqual(legacy.env, [{ key: "A", value: "one two", noDelim: true }]);
    const label = first("LABEL a=b\n");
    assert.ok(label.kind === "label" && label.labels[0]?.key === "a" && !label.noExpand);
  });

  it("parseInstruction() rejects blank and odd ENV/LABEL arguments", () => {
    for (const cmd of ["env", "label"]) {
      const upper = cmd.toUpperCase();
      assert.equal(
        errorOf(() => parseInstruction(node(cmd, ["", "arg2", "="]))).message,
        `${upper} names can not be blank`,
      );
      assert.equal(
        errorOf(() => parseInstruction(node(cmd, ["arg1", "arg2", "arg3", ""]))).message,
        `Bad input to ${upper}, too many arguments`,
      );
    }
  });

  it("parseInstruction() builds ARG pairs and ignores ARG and STOPSIGNAL flags", () => {
    const arg = parseInstruction(node("arg", ["A=1", "B", "C="], { flags: ["--bogus"] }));
    assert.ok(arg.kind === "arg");
    if (arg.kind !== "arg") return;
    assert.deepEqual(arg.args, [
      { key: "A", value: "1", docComment: "" },
      { key: "B", docComment: "" },
      { key: "C", value: "", docComment: "" },
    ]);
    const sig = parseInstruction(node("stopsignal", ["SIGKILL"], { flags: ["--x"] }));
    assert.ok(sig.kind === "stopsignal" && sig.signal === "SIGKILL");
    assert.equal(
      errorOf(() => parseInstruction(node("arg", ["=x"]))).message,
      "ARG names can not be blank",
    );
  });

  it("parseInstruction() builds HEALTHCHECK with durations in nanoseconds", () => {
    const hc = first(
      "HEALTHCHECK --interval=30s --timeout=1m30s --start-period=5s --start-interval=100ms --retries=3 CMD curl -f http://x/\n",
    );
    assert.ok(hc.kind === "healthcheck");
    if (hc.kind !== "healthcheck") return;
    assert.deepEqual(hc.health, {
      test: ["CMD-SHELL", "curl -f http://x/"],
      interval: 30e9,
      timeout: 90e9,
      startPeriod: 5e9,
      startInterval: 100e6,
      retries: 3,
    });
    const exec = first('HEALTHCHECK CMD ["curl", "x"]\n');
    assert.ok(exec.kind === "healthcheck");
    if (exec.kind !== "healthcheck") return;
    assert.deepEqual(exec.health.test, ["CMD", "curl", "x"]);
    const none = first("HEALTHCHECK NONE\n");
    assert.ok(none.kind === "healthcheck" && none.health.test[0] === "NONE");
  });

  it("parseInstruction() reports HEALTHCHECK errors", () => {
    const cases: Array<[string, string]> = [
      ["HEALTHCHECK NONE x\n", "HEALTHCHECK NONE takes no arguments"],
      ["HEALTHCHECK FOO x\n", 'Unknown type "FOO" in HEALTHCHECK (try CMD)'],
      ["HEALTHCHECK CMD\n", "Missing command after HEALTHCHECK CMD"],
      ["HEALTHCHECK --retries=-1 CMD x\n", "--retries cannot be negative (-1)"],
      ["HEALTHCHECK --retries=x CMD x\n", 'strconv.ParseInt: parsing "x": invalid syntax'],
      ["HEALTHCHECK --timeout=5 CMD x\n", 'time: missing unit in duration "5"'],
      ["HEALTHCHECK --interval=50ns CMD x\n", 'Interval "interval" cannot be less than 1ms'],
    ];
    for (const [df, message] of cases) assert.equal(errorOf(() => first(df)).message, message, df);
  });

  it("parseInstruction() builds SHELL only from JSON", () => {
    const sh = first('SHELL ["/bin/bash", "-c"]\n');
    assert.ok(sh.kind === "shell");
    if (sh.kind !== "shell") return;
    assert.deepEqual(sh.shell, ["/bin/bash", "-c"]);
    assert.equal(
      errorOf(() => first("SHELL /bin/bash -c\n")).message,
      "SHELL requires the arguments to be in JSON form",
    );
    assert.equal(
      errorOf(() => first("SHELL []\n")).message,
      "SHELL requires at least one argument",
    );
  });

  it("parseInstruction() builds EXPOSE sorted, VOLUME trimmed, USER and WORKDIR", () => {
    const expose = first("EXPOSE 8080 443/tcp 80\n");
    assert.ok(expose.kind === "expose");
    if (expose.kind !== "expose") return;
    assert.deepEqual(expose.ports, ["443/tcp", "80", "8080"]);
    const vol = first('VOLUME ["/a", "/b"]\n');
    assert.ok(vol.kind === "volume");
    if (vol.kind !== "volume") return;
    assert.deepEqual(vol.volumes, ["/a", "/b"]);
    assert.equal(
      errorOf(() => first('VOLUME [" "]\n')).message,
      "VOLUME specified can not be an empty string",
    );
    const user = first("USER app:app\n");
    assert.ok(user.kind === "user" && user.user === "app:app");
    const wd = first("WORKDIR /app\n");
    assert.ok(wd.kind === "workdir" && wd.path === "/app");
  });

  it("parseInstruction() builds ONBUILD expressions with heredocs re-appended", () => {
    const ob = first("ONBUILD RUN <<EOF\necho hi\nEOF\n");
    assert.ok(ob.kind === "onbuild");
    if (ob.kind !== "onbuild") return;
    assert.equal(ob.expression, "RUN <<EOF\necho hi\nEOF");
    const plain = first("onbuild  COPY a b\n");
    assert.ok(plain.kind === "onbuild" && plain.expression === "COPY a b");
    assert.equal(
      errorOf(() => first("ONBUILD MAINTAINER x\n")).message,
      "MAINTAINER isn't allowed as an ONBUILD trigger",
    );
  });

  it("parseInstruction() builds CMD and ENTRYPOINT command lines", () => {
    const cmd = first("CMD echo hi\n");
    assert.ok(cmd.kind === "cmd");
    if (cmd.kind !== "cmd") return;
    assert.deepEqual(cmd.cmdLine, ["echo hi"]);
    assert.equal(cmd.prependShell, true);
    const ep = first("ENTRYPOINT []\n");
    assert.ok(ep.kind === "entrypoint");
    if (ep.kind !== "entrypoint") return;
    assert.deepEqual(ep.cmdLine, []);
    assert.equal(ep.prependShell, false);
  });

  it("parseInstruction() reports lint findings for FROM, MAINTAINER and descriptions", () => {
    const lints: InstructionLint[] = [];
    const onLint = (l: InstructionLint) => lints.push(l);
    const result = parseDockerfile("FROM a as Base\nMAINTAINER me\n# hello world\nARG x\n");
    for (const n of result.ast.children) parseInstruction(n, { onLint });
    assert.deepEqual(lints.map((l) => [l.rule, l.message]), [
      ["StageNameCasing", "Stage name 'Base' should be lowercase"],
      ["FromAsCasing", "'as' and 'FROM' keywords' casing do not match"],
      ["MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label"],
      [
        "InvalidDefinitionDescription",
        "Comment for ARG should follow the format: `# x <description>`",
      ],
    ]);
  });
});

describe("parseStages()", () => {
  it("parseStages() groups instructions into stages after the meta ARGs", () => {
    const { metaArgs, stages } = parseStages(
      parseDockerfile(
        "ARG BASE=alpine\nFROM $BASE AS one\nRUN a\nFROM --platform=linux/arm64 one\nCOPY --from=one /a /b\n",
      ),
    );
    assert.equal(metaArgs.length, 1);
    assert.equal(metaArgs[0]?.args[0]?.key, "BASE");
    assert.equal(stages.length, 2);
    assert.equal(stages[0]?.name, "one");
    assert.equal(stages[0]?.baseName, "$BASE");
    assert.deepEqual(stages[0]?.commands.map((c) => c.kind), ["run"]);
    assert.equal(stages[1]?.name, undefined);
    assert.equal(stages[1]?.platform, "linux/arm64");
    assert.deepEqual(stages[1]?.range, [{ start: 4, end: 4 }]);
    assert.deepEqual(stages[1]?.commands.map((c) => c.kind), ["copy"]);
  });

  it("parseStages() wraps errors with the line number", () => {
    const err = errorOf(() => parseStages(parseDockerfile("FROM a\nFOO bar\n")));
    assert.equal(
      err.message,
      "dockerfile parse error on line 2: unknown instruction: FOO (did you mean FROM?)",
    );
    assert.deepEqual(err.range, [{ start: 2, end: 2 }]);
  });

  it("parseStages() requires a FROM before other instructions", () => {
    const err = errorOf(() => parseStages(parseDockerfile("RUN x\nFROM a\n")));
    assert.equal(err.message, "no build stage in current context");
  });

  it("parseStages() extracts doc comments for stages and ARGs", () => {
    const { stages } = parseStages(parseDockerfile("# base is the base\nFROM a AS base\n"));
    assert.equal(stages[0]?.docComment, "is the base");
    assert.equal(getDocComment(["x y", "foo bar baz"], "foo"), "bar baz");
    assert.equal(getDocComment(["foobar"], "foo"), "");
  });
});

describe("checkCopyFrom()", () => {
  it("checkCopyFrom() rejects a --from that expansion changes", () => {
    const processWord = (w: string) => w.replace(/\$\{?\w+\}?/g, "");
    const copy = first("COPY --from=$STAGE /a /b\n");
    assert.ok(copy.kind === "copy");
    if (copy.kind !== "copy") return;
    const err = errorOf(() => checkCopyFrom(copy, { processWord }));
    assert.equal(err.message, COPY_FROM_EXPANSION_MESSAGE);
    assert.deepEqual(err.range, [{ start: 1, end: 1 }]);
    checkCopyFrom({ from: "build", range: [] }, { processWord });
  });
});
