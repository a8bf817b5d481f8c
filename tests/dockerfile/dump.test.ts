import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { astToJson, dumpAst, goQuote } from "../../src/dockerfile/dump.ts";
import { parseDockerfile } from "../../src/dockerfile/parser.ts";

describe("goQuote()", () => {
  it("goQuote() escapes like Go's strconv.Quote", () => {
    assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(goQuote("\x07\b\f\n\r\t\v"), '"\\a\\b\\f\\n\\r\\t\\v"');
    assert.equal(goQuote("\x00\x1b\x7f"), '"\\x00\\x1b\\x7f"');
    assert.equal(goQuote("♥ é 😀"), '"♥ é 😀"');
    assert.equal(goQuote("\u00a0\u0085\ufeff\u200b"), '"\\u00a0\\u0085\\ufeff\\u200b"');
    assert.equal(goQuote("\u{e0001}"), '"\\U000e0001"');
  });
});

describe("dumpAst()", () => {
  it("dumpAst() prints flags, arguments and ONBUILD children", () => {
    const { ast } = parseDockerfile(
      'FROM a\nCOPY --from=b --chown=1 x y\nONBUILD RUN ["echo", "hi"]\nCMD\nFOO bar\n',
    );
    assert.equal(
      dumpAst(ast),
      [
        '(from "a")',
        '(copy ["--from=b" "--chown=1"] "x" "y")',
        '(onbuild (run "echo" "hi"))',
        "(cmd)",
        '(foo "")',
      ].join("\n"),
    );
  });

  it("dumpAst() prints legacy ENV with an empty separator", () => {
    assert.equal(dumpAst(parseDockerfile("ENV name value\n").ast), '(env "name" "value" "")');
  });
});

describe("astToJson()", () => {
  it("astToJson() lists instructions with args, flags, json, heredocs and lines", () => {
    const j = astToJson(
      parseDockerfile('# escape=`\nFROM a\nRUN --x=1 <<E\nhi\nE\nONBUILD CMD ["b"]\n'),
    );
    assert.equal(j.escapeToken, "`");
    assert.deepEqual(j.directives, { escape: { value: "`", line: 1 } });
    assert.deepEqual(j.instructions[1], {
      keyword: "run",
      args: ["<<E"],
      flags: ["--x=1"],
      json: false,
      heredocs: [{ name: "E", fileDescriptor: 0, expand: true, chomp: false, content: "hi\n" }],
      original: "RUN --x=1 <<E",
      prevComment: [],
      startLine: 3,
      endLine: 5,
      children: [],
    });
    const onbuild = j.instructions[2]!;
    assert.deepEqual(onbuild.args, []);
    assert.equal(onbuild.children[0]?.keyword, "cmd");
    assert.equal(onbuild.children[0]?.json, true);
    assert.doesNotThrow(() => JSON.stringify(j));
  });
});
