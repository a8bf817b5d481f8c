import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  chompHeredocContent,
  heredocsFromLine,
  parseHeredoc,
} from "../../src/dockerfile/heredoc.ts";
import { DockerfileError } from "../../src/dockerfile/errors.ts";

describe("parseHeredoc()", () => {
  it("parseHeredoc() reads the fd prefix, <<- and the delimiter", () => {
    assert.deepEqual(parseHeredoc("3<<-EOF"), {
      name: "EOF",
      fileDescriptor: 3,
      expand: true,
      chomp: true,
      content: "",
    });
    assert.equal(parseHeredoc("<<  EOF")?.name, "EOF");
  });

  it("parseHeredoc() turns expansion off when any part of the delimiter is quoted", () => {
    assert.equal(parseHeredoc("<<'EOF'")?.expand, false);
    assert.equal(parseHeredoc('<<"EOF"')?.expand, false);
    assert.equal(parseHeredoc('<<E"O"F')?.expand, false);
    assert.equal(parseHeredoc("<<eo\\'f")?.expand, true);
    assert.equal(parseHeredoc("<<eo\\'f")?.name, "eo'f");
  });

  it("parseHeredoc() returns undefined for words that are not heredocs", () => {
    for (const w of ["", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh"]) {
      assert.equal(parseHeredoc(w), undefined, w);
    }
  });

  it("parseHeredoc() rejects unbalanced quotes", () => {
    assert.throws(() => parseHeredoc("<<'EOF"), (e: unknown) => {
      assert.ok(e instanceof DockerfileError);
      assert.equal(
        e.message,
        `failed to process "'EOF": unexpected end of statement while looking for matching single-quote`,
      );
      return true;
    });
  });
});

describe("heredocsFromLine()", () => {
  it("heredocsFromLine() finds several heredocs in order", () => {
    assert.deepEqual(
      heredocsFromLine("COPY <<A 4<<'B' /d").map((h) => [h.name, h.fileDescriptor, h.expand]),
      [
        ["A", 0, true],
        ["B", 4, false],
      ],
    );
  });

  it("heredocsFromLine() ignores heredoc markers inside quotes", () => {
    assert.deepEqual(heredocsFromLine("RUN '<<EOF'"), []);
    assert.deepEqual(heredocsFromLine('RUN "<<EOF"'), []);
  });

  it("heredocsFromLine() keeps blanks after << in the word like BuildKit's lexer", () => {
    assert.deepEqual(heredocsFromLine("RUN << -EOF").map((h) => h.name), ["-EOF"]);
    assert.deepEqual(heredocsFromLine("RUN <<  EOF  > foo").map((h) => h.name), ["EOF"]);
    // `<<-` followed by a blank is split from its word by BuildKit's lexer.
    assert.deepEqual(heredocsFromLine("RUN <<- EOF"), []);
  });

  it("heredocsFromLine() announces nothing when the line cannot be lexed", () => {
    assert.deepEqual(heredocsFromLine("RUN <<EOF 'open"), []);
    assert.deepEqual(heredocsFromLine("RUN <<EOF ${"), []);
  });
});

describe("chompHeredocContent()", () => {
  it("chompHeredocContent() strips leading tabs of every line only", () => {
    assert.equal(chompHeredocContent("\t\thello\n\t world\t\n \tx"), "hello\n world\t\n \tx");
  });
});
