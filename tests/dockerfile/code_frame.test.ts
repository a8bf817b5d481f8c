import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { codeFrame } from "../../src/dockerfile/code_frame.ts";

const src = "FROM a\nRUN 1\nRUN 2\nRUN 3\nRUN 4\nRUN 5\nRUN 6\n";

describe("codeFrame()", () => {
  it("codeFrame() marks a single line with two lines of context on each side", () => {
    assert.equal(
      codeFrame(src, [{ start: 4, end: 4 }]),
      [
        "Dockerfile:4",
        "--------------------",
        "   2 |     RUN 1",
        "   3 |     RUN 2",
        "   4 | >>> RUN 3",
        "   5 |     RUN 4",
        "   6 |     RUN 5",
        "--------------------",
        "",
      ].join("\n"),
    );
  });

  it("codeFrame() marks every line of a range with one line of context", () => {
    const f = codeFrame(src, [{ start: 2, end: 3 }], { file: "sub/Dockerfile" });
    assert.deepEqual(f.split("\n"), [
      "sub/Dockerfile:2",
      "--------------------",
      "   1 |     FROM a",
      "   2 | >>> RUN 1",
      "   3 | >>> RUN 2",
      "   4 |     RUN 3",
      "--------------------",
      "",
    ]);
  });

  it("codeFrame() takes more lines before when the error is on the last line", () => {
    const lines = codeFrame("A\nB\nC\nD", [{ start: 4, end: 4 }]).split("\n");
    assert.deepEqual(lines.slice(2, 6), [
      "   2 |     B",
      "   3 |     C",
      "   4 | >>> D",
      "--------------------",
    ]);
  });

  it("codeFrame() colours marked lines on request", () => {
    const f = codeFrame(src, [{ start: 1, end: 1 }], { color: true, context: 0 });
    assert.equal(f.split("\n")[2], "\x1b[1;31m   1 | >>> FROM a\x1b[0m");
  });

  it("codeFrame() returns nothing for an empty or out-of-range location", () => {
    assert.equal(codeFrame(src, []), "");
    assert.equal(codeFrame(src, [{ start: 99, end: 99 }]), "");
  });
});
