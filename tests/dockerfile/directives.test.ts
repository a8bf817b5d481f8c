import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  detectSyntax,
  DirectiveParser,
  parseDirective,
  validateEscapeToken,
} from "../../src/dockerfile/directives.ts";
import { DockerfileError } from "../../src/dockerfile/errors.ts";

describe("DirectiveParser", () => {
  it("DirectiveParser.parseAll() stops at the first line that is not a known directive", () => {
    const got = new DirectiveParser().parseAll(
      "# EScape=`\n# syntax = x y \n# key=v\n# check=skip=all\n",
    );
    assert.deepEqual(got.map((d) => [d.name, d.value, d.range[0]!.start]), [
      ["escape", "`", 1],
      ["syntax", "x y", 2],
    ]);
  });

  it("DirectiveParser.parseLine() is done after a blank line or an ordinary comment", () => {
    const p = new DirectiveParser();
    assert.equal(p.parseLine(""), undefined);
    assert.equal(p.done, true);
    assert.equal(p.parseLine("# escape=`"), undefined);
    const q = new DirectiveParser();
    assert.equal(q.parseLine("# just words"), undefined);
    assert.equal(q.parseLine("# syntax=x"), undefined);
  });

  it("DirectiveParser.parseLine() rejects a repeated directive with its line", () => {
    const p = new DirectiveParser();
    p.parseLine("# syntax=a");
    assert.throws(() => p.parseLine("#SYNTAX=b"), (e: unknown) => {
      assert.ok(e instanceof DockerfileError);
      assert.equal(e.message, "only one syntax parser directive can be used");
      assert.deepEqual(e.range, [{ start: 2, end: 2 }]);
      return true;
    });
  });
});

describe("validateEscapeToken()", () => {
  it("validateEscapeToken() accepts backslash and backtick only", () => {
    assert.equal(validateEscapeToken("\\"), "\\");
    assert.equal(validateEscapeToken("`"), "`");
    assert.throws(() => validateEscapeToken("$"), {
      message: "invalid escape token '$' does not match ` or \\",
    });
  });
});

describe("detectSyntax()", () => {
  it("detectSyntax() splits the reference from its arguments", () => {
    const d = detectSyntax("# syntax = dockerfile:experimental // opts\nFROM busybox\n");
    assert.deepEqual(d, {
      ref: "dockerfile:experimental",
      cmdline: "dockerfile:experimental // opts",
      range: [{ start: 1, end: 1 }],
    });
  });

  it("detectSyntax() skips a shebang line but not a blank line after it", () => {
    assert.equal(detectSyntax("#!/bin/sh\n# syntax = a\n")?.range[0]?.start, 2);
    assert.equal(detectSyntax("#!/bin/sh\n\n# syntax = a\n"), undefined);
  });

  it("detectSyntax() accepts // comments and a JSON document", () => {
    assert.equal(detectSyntax("//syntax=foo\n//key=value")?.ref, "foo");
    assert.equal(detectSyntax('{"syntax": "foo", "bar": ["abc"]}')?.ref, "foo");
    assert.equal(detectSyntax('{"syntax": "foo"'), undefined);
    assert.equal(detectSyntax('{"syntax": 1}'), undefined);
  });

  it("detectSyntax() strips a UTF-8 BOM from bytes", () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("# syntax=x\n")]);
    assert.equal(detectSyntax(bytes)?.ref, "x");
  });
});

describe("parseDirective()", () => {
  it("parseDirective() reads only the # form", () => {
    assert.equal(
      parseDirective("check", "#check = skip=all // opts\n")?.cmdline,
      "skip=all // opts",
    );
    assert.equal(parseDirective("check", "//check=skip=all\n"), undefined);
  });
});
