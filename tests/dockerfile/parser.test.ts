import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseDockerfile } from "../../src/dockerfile/parser.ts";
import { dumpAst } from "../../src/dockerfile/dump.ts";
import { DockerfileError } from "../../src/dockerfile/errors.ts";

const here = dirname(fileURLToPath(import.meta.url));
const testdata = join(here, "..", "testdata", "dockerfile");
const update = process.env.UPDATE_GOLDEN === "1";

function dump(text: string): string {
  return dumpAst(parseDockerfile(text).ast);
}

function parseError(text: string | Uint8Array): DockerfileError {
  try {
    parseDockerfile(text);
  } catch (e) {
    assert.ok(e instanceof DockerfileError, `not a DockerfileError: ${e}`);
    return e;
  }
  assert.fail("expected a DockerfileError");
}

describe("parseDockerfile()", () => {
  it("parseDockerfile() builds one node per instruction with lower-cased keywords", () => {
    const { ast } = parseDockerfile("FROM alpine AS b\nRuN echo hi\n");
    assert.deepEqual(ast.children.map((c) => c.value), ["from", "run"]);
    assert.deepEqual(ast.children[0]!.next.map((n) => n.value), ["alpine", "AS", "b"]);
    assert.equal(ast.children[1]!.original, "RuN echo hi");
  });

  it("parseDockerfile() joins continuation lines without a separator and keeps their indent", () => {
    assert.equal(dump("RUN a\\\n  b \\\n c\n"), '(run "a  b  c")');
  });

  it("parseDockerfile() does not continue after an escaped escape token", () => {
    assert.equal(dump("RUN a \\\\\nRUN b\n"), '(run "a \\\\\\\\")\n(run "b")');
  });

  it("parseDockerfile() skips comments inside a continuation and warns on empty lines", () => {
    const r = parseDockerfile("RUN a \\\n# c\n\n  b\n");
    assert.equal(dumpAst(r.ast), '(run "a   b")');
    assert.equal(r.warnings.length, 1);
    assert.equal(r.warnings[0]!.rule, "NoEmptyContinuation");
    assert.equal(r.warnings[0]!.short, "Empty continuation line found in: RUN a   b");
    assert.deepEqual(r.warnings[0]!.location, [{ start: 4, end: 4 }]);
  });

  it("parseDockerfile() keeps a continuation at end of file", () => {
    assert.equal(dump("FROM a\nRUN x \\"), '(from "a")\n(run "x")');
  });

  it("parseDockerfile() records line ranges over continuations and heredoc bodies", () => {
    const { ast } = parseDockerfile("\nFROM a\nRUN x \\\n\n y\nCOPY <<E /f\n1\n2\nE\n");
    assert.deepEqual(ast.children.map((c) => [c.startLine, c.endLine]), [[2, 2], [3, 5], [6, 9]]);
    assert.deepEqual([ast.startLine, ast.endLine], [2, 9]);
  });

  it("parseDockerfile() keeps heredoc bodies with their line endings", () => {
    const { ast } = parseDockerfile(
      "FROM a\nRUN <<-EOF\n\techo $X\n\tEOF\nCOPY <<'A' <<B /d\na\nA\nb\r\nB\r\n",
    );
    assert.deepEqual(ast.children[1]!.heredocs, [
      { name: "EOF", fileDescriptor: 0, expand: true, chomp: true, content: "\techo $X\n" },
    ]);
    assert.deepEqual(ast.children[2]!.heredocs.map((h) => [h.name, h.expand, h.content]), [
      ["A", false, "a\n"],
      ["B", true, "b\r\n"],
    ]);
  });

  it("parseDockerfile() reads several heredocs per line with fd prefixes and <<-", () => {
    const { ast } = parseDockerfile(
      readFileSync(join(testdata, "parser", "heredoc-several-per-line", "Dockerfile")),
    );
    assert.deepEqual(ast.children[1]!.heredocs.map((h) => [h.name, h.expand, h.content]), [
      ["one.txt", true, "first\nfile\n"],
      ["two.txt", false, "second $HOME\n"],
    ]);
    assert.deepEqual(ast.children[2]!.heredocs, [
      { name: "EOF", fileDescriptor: 3, expand: true, chomp: true, content: "\techo chomped\n" },
      { name: "NOEXP", fileDescriptor: 0, expand: false, chomp: false, content: "echo $literal\n" },
    ]);
    assert.deepEqual(ast.children[3]!.heredocs.map((h) => h.content), ["a\n", "b\n"]);
    assert.deepEqual(ast.children[4]!.heredocs, []);
  });

  it("parseDockerfile() reads heredocs only for ADD, COPY and RUN in shell form", () => {
    const { ast } = parseDockerfile('FROM a\nUSER <<X\nX\nRUN ["<<EOF"]\nCMD <<EOF\n');
    assert.deepEqual(ast.children.map((c) => c.value), ["from", "user", "x", "run", "cmd"]);
    assert.ok(ast.children.every((c) => c.heredocs.length === 0));
  });

  it("parseDockerfile() attaches ONBUILD heredocs to the ONBUILD instruction", () => {
    const { ast } = parseDockerfile("FROM a\nONBUILD RUN <<EOF\nhi\nEOF\n");
    const onbuild = ast.children[1]!;
    assert.equal(dumpAst(onbuild), 'onbuild (run "<<EOF")');
    assert.equal(onbuild.heredocs[0]?.content, "hi\n");
    assert.equal(onbuild.endLine, 4);
  });

  it("parseDockerfile() fails on an unterminated heredoc with its range", () => {
    const err = parseError("FROM a\nRUN <<EOF\nx\n");
    assert.equal(err.message, "unterminated heredoc");
    assert.deepEqual(err.range, [{ start: 2, end: 3 }]);
  });

  it("parseDockerfile() extracts builder flags and drops a bare -- terminator", () => {
    const { ast } = parseDockerfile('COPY --from="a b" -- --x /y\n');
    assert.deepEqual(ast.children[0]!.flags, ["--from=a b"]);
    assert.deepEqual(ast.children[0]!.next.map((n) => n.value), ["--x", "/y"]);
  });

  it("parseDockerfile() marks JSON form and falls back to shell form for invalid JSON", () => {
    const { ast } = parseDockerfile("CMD [\"a\"]\nCMD ['a']\nCMD []\n");
    assert.deepEqual(ast.children.map((c) => c.json), [true, false, true]);
    assert.equal(ast.children[2]!.next.length, 0);
  });

  it("parseDockerfile() rejects a JSON array with non-strings", () => {
    const err = parseError('FROM a\nRUN ["a", 1]\n');
    assert.equal(
      err.message,
      "when using JSON array syntax, arrays must be comprised of strings only",
    );
    assert.deepEqual(err.range, [{ start: 2, end: 2 }]);
  });

  it("parseDockerfile() parses legacy and name=value ENV forms", () => {
    assert.equal(
      dump('ENV a b c\nENV x=1 y="2 3"\n'),
      '(env "a" "b c" "")\n(env "x" "1" "=" "y" "\\"2 3\\"" "=")',
    );
    assert.equal(
      parseError("ENV a=1 b\n").message,
      'Syntax error - can\'t find = in "b". Must be of the form: name=value',
    );
    assert.equal(parseError("LABEL x\n").message, "LABEL must have two arguments");
  });

  it("parseDockerfile() keeps comments directly above an instruction", () => {
    const { ast } = parseDockerfile(
      "# syntax=x\n# one\n  # two\n\nFROM a\n# reset\n#\n# three\nRUN b\n",
    );
    assert.deepEqual(ast.children[0]!.prevComment, ["one", "# two"]);
    assert.deepEqual(ast.children[1]!.prevComment, ["three"]);
  });

  it("parseDockerfile() applies the escape directive and reports directives", () => {
    const r = parseDockerfile("# escape=`\n# check=skip=all\nFROM a\nRUN x `\n y\n");
    assert.equal(r.escapeToken, "`");
    assert.deepEqual(r.directives, {
      escape: { value: "`", line: 1 },
      check: { value: "skip=all", line: 2 },
    });
    assert.equal(dumpAst(r.ast), '(from "a")\n(run "x  y")');
  });

  it("parseDockerfile() ignores directives after the first non-directive line", () => {
    const r = parseDockerfile("# hello\n# escape=`\nFROM a\n");
    assert.equal(r.escapeToken, "\\");
    assert.deepEqual(r.directives, {});
  });

  it("parseDockerfile() rejects a repeated or invalid directive", () => {
    const dup = parseError("# escape=\\\n# Escape=`\nFROM a\n");
    assert.equal(dup.message, "only one escape parser directive can be used");
    assert.deepEqual(dup.range, [{ start: 2, end: 2 }]);
    assert.equal(
      parseError("# escape=x\nFROM a\n").message,
      "invalid escape token 'x' does not match ` or \\",
    );
  });

  it("parseDockerfile() strips a BOM and CRLF line endings from bytes", () => {
    const bytes = new Uint8Array([
      0xef,
      0xbb,
      0xbf,
      ...new TextEncoder().encode("# escape=`\r\nFROM a\r\nRUN b `\r\n c\r\n"),
    ]);
    const r = parseDockerfile(bytes);
    assert.equal(r.escapeToken, "`");
    assert.equal(dumpAst(r.ast), '(from "a")\n(run "b  c")');
  });

  it("parseDockerfile() fails on a file with no instructions", () => {
    assert.equal(parseError("").message, "file with no instructions");
    const err = parseError("# a\n\n# b\n");
    assert.equal(err.message, "file with no instructions");
    assert.deepEqual(err.range, [{ start: 3, end: 3 }]);
  });

  it("parseDockerfile() fails on a line longer than 65535 bytes", () => {
    const ok = parseDockerfile("FROM a\nLABEL x=" + "a".repeat(65535 - 8) + "\n");
    assert.equal(ok.ast.children.length, 2);
    const err = parseError("FROM a\nLABEL x=" + "é".repeat(32768) + "\n");
    assert.equal(err.message, "dockerfile line greater than max allowed size of 65535");
    assert.deepEqual(err.range, [{ start: 2, end: 2 }]);
  });

  it("parseDockerfile() copies the file name into errors", () => {
    try {
      parseDockerfile("ENV X\n", { file: "sub/Dockerfile" });
      assert.fail("expected an error");
    } catch (e) {
      assert.ok(e instanceof DockerfileError);
      assert.equal(e.file, "sub/Dockerfile");
      assert.deepEqual(e.range, [{ start: 1, end: 1 }]);
    }
  });

  it("parseDockerfile() parses 10,000 lines quickly", () => {
    const lines = ["FROM alpine"];
    for (let i = 0; i < 2500; i++) {
      lines.push(
        `RUN echo ${i} \\`,
        `    && echo more ${i}`,
        `ENV K${i}=v${i} L${i}="x y"`,
        `COPY --from=b src${i} /dst/`,
      );
    }
    const text = lines.join("\n") + "\n";
    for (let i = 0; i < 3; i++) parseDockerfile(text); // warm-up (JIT)
    // Best of five: the cost of the algorithm, not of a busy machine.
    let ms = Infinity;
    let count = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      count = parseDockerfile(text).ast.children.length;
      ms = Math.min(ms, performance.now() - t0);
    }
    assert.equal(count, 7501);
    // A generous bound: it guards against quadratic blow-ups (seconds), not a fast machine (~40 ms).
    assert.ok(ms < 500, `took ${ms.toFixed(1)} ms`);
  });
});

function caseDirs(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe("parser golden files (tests/testdata/dockerfile/parser)", () => {
  const dir = join(testdata, "parser");
  for (const name of caseDirs(dir)) {
    it(`parseDockerfile() dumps ${name} as in its result file`, () => {
      const input = readFileSync(join(dir, name, "Dockerfile"));
      const actual = dumpAst(parseDockerfile(input).ast) + "\n";
      const resultPath = join(dir, name, "result");
      if (update) writeFileSync(resultPath, actual);
      assert.equal(actual, readFileSync(resultPath, "utf8"));
    });
  }
});

describe("parser negative files (tests/testdata/dockerfile/parser-negative)", () => {
  const dir = join(testdata, "parser-negative");
  for (const name of caseDirs(dir)) {
    it(`parseDockerfile() rejects ${name} with the expected message`, () => {
      const err = parseError(readFileSync(join(dir, name, "Dockerfile")));
      const errorPath = join(dir, name, "error");
      if (update) writeFileSync(errorPath, err.message + "\n");
      assert.equal(err.message + "\n", readFileSync(errorPath, "utf8"));
    });
  }
});
