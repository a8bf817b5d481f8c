// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createShellEnv,
  type ShellEnv,
  ShellExpansionError,
  ShellLex,
} from "../../src/dockerfile/shell/mod.ts";
import { reverseShellPattern, shellPatternToRegexSource } from "../../src/dockerfile/shell/lex.ts";
import { DockerfileError } from "../../src/dockerfile/errors.ts";

const ENV: ShellEnv = new Map([
  ["PWD", "/home"],
  ["SHELL", "bash"],
  ["KOREAN", "한국어"],
  ["NULL", ""],
]);
const lex = new ShellLex("\\");

function word(input: string, env: ShellEnv = ENV, l: ShellLex = lex): string {
  return l.processWord(input, env);
}

function words(input: string, env: ShellEnv = ENV, l: ShellLex = lex): string[] {
  return l.processWords(input, env);
}

/** The reason of the expansion error `input` raises. */
function reason(input: string, env: ShellEnv = ENV, l: ShellLex = lex): string {
  try {
    const got = l.processWord(input, env);
    assert.fail(`expected an error for ${JSON.stringify(input)}, got ${JSON.stringify(got)}`);
  } catch (err) {
    assert.ok(err instanceof ShellExpansionError, String(err));
    return err.reason;
  }
}

describe("ShellLex quotes and escapes", () => {
  it("processWord() takes single-quoted text literally", () => {
    assert.equal(word(`'$PWD \\t "x"'`), `$PWD \\t "x"`);
  });

  it('processWord() expands inside double quotes and escapes only " $ and \\ there', () => {
    assert.equal(word(`"$PWD \\$PWD \\" \\\\ \\t '"`), `/home $PWD " \\ \\t '`);
  });

  it("processWord() drops an unquoted escape token and keeps the next character", () => {
    assert.equal(word(`a\\tb\\ c\\'d`), `atb c'd`);
  });

  it("processWord() drops a trailing escape token", () => {
    assert.equal(word(`abc\\`), "abc");
  });

  it("processWord() reports unterminated quotes with BuildKit's messages", () => {
    assert.equal(
      reason(`'abc`),
      "unexpected end of statement while looking for matching single-quote",
    );
    assert.equal(
      reason(`"abc\\"`),
      "unexpected end of statement while looking for matching double-quote",
    );
  });

  it("processWord() uses a backtick escape token when asked", () => {
    const tick = new ShellLex("`");
    assert.equal(word("he`$PWD", ENV, tick), "he$PWD");
    assert.equal(word("he\\$PWD", ENV, tick), "he\\/home");
    assert.equal(word('"a`"b"', ENV, tick), 'a"b');
  });

  it("processWord() drops a byte order mark at the start of the word", () => {
    assert.equal(word("\uFEFF$SHELL"), "bash");
  });

  it("ShellLex() rejects an escape token that is not one character", () => {
    assert.throws(() => new ShellLex("ab"), TypeError);
  });
});

describe("ShellLex variable names", () => {
  it("processWord() reads letters, digits and _ as a name, including non-ASCII letters", () => {
    assert.equal(word("$PWD.x"), "/home.x");
    assert.equal(word("$PWD_x"), "");
    assert.equal(word("$한국"), "");
    assert.equal(word("${KOREAN}어"), "한국어어");
  });

  it("processWord() reads positional parameters as all their digits and leaves them unset", () => {
    assert.equal(word("$123abc"), "abc");
    assert.equal(word("${1:-one}"), "one");
  });

  it("processWord() reads special parameters as one character and leaves them unset", () => {
    assert.equal(word("$@@"), "@");
    assert.equal(word("$$PWD"), "PWD");
    assert.equal(word("${#:-n}"), "n");
  });

  it("processWord() keeps a $ that is not followed by a name", () => {
    assert.equal(word("$ $. $"), "$ $. $");
  });

  it("processWord() rejects empty and malformed braces", () => {
    assert.equal(reason("${}"), "syntax error: bad substitution");
    assert.equal(reason("${:-x}"), "syntax error: bad substitution");
    assert.equal(reason("${{x}"), "syntax error: bad substitution");
    assert.equal(reason("${"), "syntax error: missing '}'");
    assert.equal(reason("${PWD:-x"), "syntax error: missing '}'");
    assert.equal(reason("${PWD:"), "syntax error: missing '}'");
  });

  it("processWord() reports an unclosed ${name as an unsupported modifier like BuildKit", () => {
    assert.equal(reason("${PWD"), "unsupported modifier (\uFFFD) in substitution");
    assert.equal(reason("${.}"), "unsupported modifier (.) in substitution");
  });
});

describe("ShellLex modifiers", () => {
  it("processWord() applies :- and - to unset and empty variables", () => {
    assert.equal(word("${XXX:-a}${NULL:-b}${PWD:-c}"), "ab/home");
    assert.equal(word("${XXX-a}${NULL-b}${PWD-c}"), "a/home");
  });

  it("processWord() expands the default word recursively", () => {
    assert.equal(word("${XXX:-${YYY:-$SHELL}}"), "bash");
  });

  it("processWord() applies :+ and + to set variables only", () => {
    assert.equal(word("${XXX:+a}${NULL:+b}${PWD:+c}"), "c");
    assert.equal(word("${XXX+a}${NULL+b}${PWD+c}"), "bc");
  });

  it("processWord() raises :? and ? errors with the default or the expanded message", () => {
    assert.equal(reason("${XXX?}"), "XXX: is not allowed to be unset");
    assert.equal(reason("${XXX:?}"), "XXX: is not allowed to be unset");
    assert.equal(reason("${NULL:?}"), "NULL: is not allowed to be empty");
    assert.equal(reason("${NULL:?need $SHELL}"), "NULL: need bash");
    assert.equal(word("${NULL?}${PWD:?}"), "/home");
  });

  it("processWord() rejects unsupported modifiers with BuildKit's message", () => {
    assert.equal(reason("${PWD=x}"), "unsupported modifier (=) in substitution");
    assert.equal(reason("${PWD:=x}"), "unsupported modifier (:=) in substitution");
    assert.equal(reason("${PWD:#x}"), "unsupported modifier (:#) in substitution");
    assert.equal(reason("${PWD:%%x}"), "unsupported modifier (:%) in substitution");
    assert.equal(reason("${PWD^^}"), "unsupported modifier (^) in substitution");
    assert.equal(reason("${PWD:x}"), "unsupported modifier (:x) in substitution");
  });

  it("processWord() wraps every error as failed to process with a Go-quoted word", () => {
    try {
      lex.processWord('a\n"${', ENV);
      assert.fail("no error");
    } catch (err) {
      assert.ok(err instanceof ShellExpansionError);
      assert.ok(err instanceof DockerfileError);
      assert.equal(err.name, "ShellExpansionError");
      assert.equal(err.word, 'a\n"${');
      assert.equal(err.message, `failed to process "a\\n\\"\${": syntax error: missing '}'`);
    }
  });
});

describe("ShellLex patterns", () => {
  const env = new Map([["V", "a.b.c.txt"], ["ML", "ab\ncd"], ["S", "x*y?z\\"]]);

  it("processWord() removes the shortest and longest matching prefix", () => {
    assert.equal(word("${V#*.}", env), "b.c.txt");
    assert.equal(word("${V##*.}", env), "txt");
    assert.equal(word("${V#?.}", env), "b.c.txt");
    assert.equal(word("${V#b}", env), "a.b.c.txt");
  });

  it("processWord() removes the shortest and longest matching suffix", () => {
    assert.equal(word("${V%.*}", env), "a.b.c");
    assert.equal(word("${V%%.*}", env), "a");
    assert.equal(word("${V%t?t}", env), "a.b.c.");
  });

  it("processWord() matches escaped wildcards and backslashes literally", () => {
    assert.equal(word("${S#x\\*}", env), "y?z\\");
    assert.equal(word("${S%?z\\\\}", env), "x*y");
    assert.equal(word("${S#*\\?}", env), "z\\");
  });

  it("processWord() treats regexp characters and brackets in patterns literally", () => {
    const e = new Map([["R", "[a].(b)+c"]]);
    assert.equal(word("${R#[a].(b)+}", e), "c");
    assert.equal(word("${R#[a]}", e), ".(b)+c");
  });

  it("processWord() rejects an invalid escape in a pattern, quoting the reversed pattern for %", () => {
    assert.equal(
      reason("${V#a\\x}", env),
      "invalid pattern (a\\x) in substitution: invalid escape '\\x'",
    );
    assert.equal(
      reason("${V%a\\x}", env),
      "invalid pattern (\\xa) in substitution: invalid escape '\\x'",
    );
  });

  it("processWord() uses an expanded variable as a pattern", () => {
    const e = new Map([["V", "a.b.c"], ["P", "*."]]);
    assert.equal(word("${V##$P}", e), "c");
  });

  it("processWord() never lets * or ? match a newline, like Go's regexp", () => {
    assert.equal(word("${ML#*d}", env), "ab\ncd");
    assert.equal(word("${ML##*}", env), "\ncd");
    assert.equal(word("${ML#ab?}", env), "ab\ncd");
    assert.equal(word("${ML#ab\n}", env), "cd");
  });

  it("processWord() replaces the first and every greedy match", () => {
    const e = new Map([["V", "aXbYbZb"]]);
    assert.equal(word("${V/b/-}", e), "aX-YbZb");
    assert.equal(word("${V//b/-}", e), "aX-Y-Z-");
    assert.equal(word("${V/X*b/-}", e), "a-");
    assert.equal(word("${V//?b/}", e), "a");
  });

  it("processWord() replaces empty matches like Go's ReplaceAllString", () => {
    const e = new Map([["V", "ab"], ["E", ""]]);
    assert.equal(word("${V//$E/-}", e), "-a-b-");
    assert.equal(word("${V/$E/-}", e), "-ab");
    assert.equal(word("${V//*/-}", e), "-");
  });

  it("processWord() expands $0 and $$ in a replace-all replacement but not in a single one", () => {
    const e = new Map([["V", "aXbX"], ["R", "[$0$$$1${0}]"]]);
    assert.equal(word("${V//X/$R}", e), "a[X$X]b[X$X]");
    assert.equal(word("${V/X/$R}", e), "a[$0$$$1${0}]bX");
  });

  it("processWord() accepts escaped / and } in replacement patterns", () => {
    const e = new Map([["P", "/a/b}"]]);
    assert.equal(word("${P//\\//_}", e), "_a_b}");
    assert.equal(word("${P/\\}/]}", e), "/a/b]");
  });

  it("processWord() requires the second / of a replacement", () => {
    assert.equal(reason("${PWD/x}"), "syntax error: missing '/' in ${}");
    assert.equal(reason("${PWD/x/y"), "syntax error: missing '}'");
  });

  it("processWord() handles a 10 kB value with pathological patterns quickly", () => {
    const big = "a".repeat(10_000);
    const e = new Map([["B", big], ["M", ("ab\n").repeat(3_000)]]);
    const started = Date.now();
    assert.equal(word("${B#*a*a*a*a*a*a*a*a*a*a*b}", e), big);
    assert.equal(word("${B##*a*a*a*a*a*a*a*a*a*a*b}", e), big);
    assert.equal(word("${B%%*a*a*a*a*a*a*a*a*a*a*b}", e), big);
    assert.equal(word("${B//*a*a*a*a*a*a*b/x}", e), big);
    assert.equal(word("${B//a/b}", e), "b".repeat(10_000));
    assert.equal(word("${B##" + "?*".repeat(500) + "}", e), "");
    assert.equal(word("${M//a*b/x}", e), ("x\n").repeat(3_000));
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3_000, `took ${elapsed} ms`);
  });

  it("shellPatternToRegexSource() writes BuildKit's regexp for a pattern", () => {
    assert.equal(
      shellPatternToRegexSource("a*?.\\*", { greedy: true, anchored: true }),
      "^a.*.\\.\\*",
    );
    assert.equal(shellPatternToRegexSource("*", { greedy: false, anchored: false }), ".*?");
    assert.throws(() => shellPatternToRegexSource("\\", { greedy: true, anchored: true }));
  });

  it("reverseShellPattern() keeps escape pairs in order", () => {
    assert.equal(reverseShellPattern("ab\\*c"), "c\\*ba");
    assert.equal(reverseShellPattern("ab\\"), "\\ba");
  });
});

describe("ShellLex word splitting", () => {
  const env = new Map([["SP", " a  b "], ["E", ""]]);

  it("processWords() splits unquoted text and variable values on whitespace", () => {
    assert.deepEqual(words("x$SP y", env), ["x", "a", "b", "y"]);
  });

  it("processWords() keeps quoted parts and escaped spaces in one word", () => {
    assert.deepEqual(words(`x"$SP"y 'p q' r\\ s`, env), ["x a  b y", "p q", "r s"]);
  });

  it("processWords() drops empty words, including empty quotes", () => {
    assert.deepEqual(words(`a "" $E b`, env), ["a", "b"]);
  });

  it("processWords() keeps << and the blanks after it with the heredoc word", () => {
    assert.deepEqual(words("cat <<  EOF > out", env), ["cat", "<<  EOF", ">", "out"]);
  });

  it("processWords() keeps the text before a nested ${X:-…} in the same word", () => {
    // BuildKit loses "a" here (shared word buffer); buildkit-ts keeps it.
    assert.deepEqual(words("a${X:-b c}d", env), ["ab", "cd"]);
  });

  it("processWord() keeps all whitespace in the single-word result", () => {
    assert.equal(word("x$SP", env), "x a  b ");
  });
});

describe("ShellLex matches and options", () => {
  it("processWordWithMatches() reports looked-up names as matched or unmatched", () => {
    const r = lex.processWordWithMatches("$PWD ${NULL-x} ${NOPE:-$SHELL} '$QUOTED'", ENV);
    assert.equal(r.result, "/home  bash $QUOTED");
    assert.deepEqual([...r.matched].sort(), ["NULL", "PWD", "SHELL"]);
    assert.deepEqual([...r.unmatched], ["NOPE"]);
  });

  it("processWord() keeps quotes with rawQuotes", () => {
    const raw = lex.withOptions({ rawQuotes: true });
    assert.equal(word(`'a$PWD'"b$PWD"`, ENV, raw), `'a$PWD'"b/home"`);
  });

  it("processWord() keeps escape tokens with rawEscapes, except in default words", () => {
    const raw = lex.withOptions({ rawEscapes: true });
    assert.equal(word(`a\\$PWD "\\$x"`, ENV, raw), `a\\$PWD \\$x`);
    assert.equal(word(`\${X:-\\$y}`, ENV, raw), "$y");
  });

  it("processWord() leaves unset references as written with skipUnsetEnv", () => {
    const skip = lex.withOptions({ skipUnsetEnv: true });
    assert.equal(
      word("$X ${X} ${X:-a} ${X#b} ${X##c} ${X/d/e} ${X//f/g} ${PWD:-z}", ENV, skip),
      "$X ${X} ${X:-a} ${X#b} ${X##c} ${X/d/e} ${X/f/g} /home",
    );
    assert.equal(word("${X:x}", ENV, skip), "${X:x}");
  });

  it("processWord() treats quotes as plain characters with skipProcessQuotes", () => {
    const plain = lex.withOptions({ skipProcessQuotes: true });
    assert.equal(word(`'$PWD' "x`, ENV, plain), `'/home' "x`);
  });

  it("processWord() compares names case-insensitively on Windows", () => {
    const win = lex.withOptions({ platform: "windows" });
    const env = new Map([["Path", "/a"], ["PATH", "/b"]]);
    assert.equal(word("$path", env, win), "/b");
    assert.equal(word("$path", env), "");
    const r = win.processWordWithMatches("$pWd", ENV);
    assert.deepEqual([...r.matched], ["pWd"]);
  });

  it("createShellEnv() reads lists, pairs and records, later entries winning", () => {
    const list = createShellEnv(["A=1", "B", "A=2=3"]);
    assert.equal(list.get("A"), "2=3");
    assert.equal(list.get("B"), "");
    assert.equal(list.get("a"), undefined);
    assert.equal(createShellEnv([["K", "v"]]).get("K"), "v");
    assert.equal(createShellEnv({ K: "r" }).get("K"), "r");
    assert.equal(createShellEnv(["Path=x"], { platform: "windows" }).get("PATH"), "x");
  });
});
