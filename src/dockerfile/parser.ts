// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The Dockerfile parser: text → syntax tree with line ranges, rule for rule as
 * BuildKit's `frontend/dockerfile/parser.Parse`.
 *
 * @module
 */

import type { Heredoc, LineRange, Node, ParseResult, ParseWarning } from "./ast.ts";
import { DockerfileError } from "./errors.ts";
import { DirectiveParser, validateEscapeToken } from "./directives.ts";
import { heredocsFromLine } from "./heredoc.ts";
import {
  type ArgumentChain,
  argumentNode,
  isSpace,
  type LineParserOptions,
  parseHealthConfig,
  parseMaybeJSON,
  parseMaybeJSONToList,
  parseNameOrNameVal,
  parseNameVal,
  parseString,
  parseStringsWhitespaceDelimited,
  splitCommand,
  trimLeftSpace,
  trimSpace,
} from "./line_parsers.ts";

/** Options of {@linkcode parseDockerfile}. */
export interface ParseDockerfileOptions {
  /** Dockerfile path, copied into every {@linkcode DockerfileError}. */
  file?: string;
}

/** Longest line BuildKit's scanner accepts (bytes, line ending excluded). */
export const MAX_LINE_LENGTH = 65535;

const EMPTY_CONTINUATION_URL = "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/";

type ArgParser = (rest: string, options: LineParserOptions) => ArgumentChain;

const dispatch: Record<string, ArgParser> = {
  add: parseMaybeJSONToList,
  arg: parseNameOrNameVal,
  cmd: parseMaybeJSON,
  copy: parseMaybeJSONToList,
  entrypoint: parseMaybeJSON,
  env: (rest, o) => parseNameVal(rest, "ENV", o),
  expose: parseStringsWhitespaceDelimited,
  from: parseStringsWhitespaceDelimited,
  healthcheck: parseHealthConfig,
  label: (rest, o) => parseNameVal(rest, "LABEL", o),
  maintainer: parseString,
  run: parseMaybeJSON,
  shell: parseMaybeJSON,
  stopsignal: parseString,
  user: parseString,
  volume: parseMaybeJSONToList,
  workdir: parseString,
};

const heredocKeywords = new Set(["add", "copy", "run"]);

/** Splits the input into `\n`-terminated lines, enforcing the line length limit. */
class LineScanner {
  #text: string;
  #pos = 0;
  /** Set once a line longer than {@linkcode MAX_LINE_LENGTH} bytes was met. */
  tooLong = false;

  constructor(text: string) {
    this.#text = text;
  }

  /** The next line including its `\n` (absent on the last line), or undefined. */
  next(): string | undefined {
    if (this.tooLong || this.#pos >= this.#text.length) return undefined;
    const nl = this.#text.indexOf("\n", this.#pos);
    const end = nl < 0 ? this.#text.length : nl;
    // A UTF-16 code unit is at most 3 UTF-8 bytes: only long lines need counting.
    if (
      end - this.#pos > MAX_LINE_LENGTH / 3 &&
      utf8Length(this.#text, this.#pos, end) > MAX_LINE_LENGTH
    ) {
      this.tooLong = true;
      return undefined;
    }
    const line = this.#text.slice(this.#pos, nl < 0 ? end : nl + 1);
    this.#pos = nl < 0 ? end : nl + 1;
    return line;
  }
}

function utf8Length(s: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** Go `bytes.TrimRight(s, "\r\n")`. */
function trimNewline(s: string): string {
  let end = s.length;
  while (end > 0) {
    const c = s.charCodeAt(end - 1);
    if (c !== 0x0a && c !== 0x0d) break;
    end--;
  }
  return end === s.length ? s : s.slice(0, end);
}

function isComment(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x23) return true;
    if (!isSpace(c)) return false;
  }
  return false;
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s.charCodeAt(i))) return false;
  return true;
}

/**
 * Removes a trailing continuation token like BuildKit's regex
 * `([^E])E[ \t]*$|^E[ \t]*$` (E = escape token): the token must be the last
 * non-blank character and must not itself be escaped.
 */
function trimContinuation(line: string, esc: string): [string, boolean] {
  let i = line.length - 1;
  while (i >= 0 && (line[i] === " " || line[i] === "\t")) i--;
  if (i < 0 || line[i] !== esc) return [line, true];
  if (i === 0) return ["", false];
  if (line[i - 1] === esc) return [line, true];
  return [line.slice(0, i), false];
}

function instructionNode(
  value: string,
  line: string,
  flags: string[],
  args: ArgumentChain,
  comments: string[],
): Node {
  return {
    value: value.toLowerCase(),
    next: args.next,
    children: [],
    flags,
    json: args.json,
    original: line,
    heredocs: [],
    prevComment: comments,
    startLine: 0,
    endLine: 0,
  };
}

function newNodeFromLine(line: string, options: LineParserOptions, comments: string[]): Node {
  const { cmd, flags, args } = splitCommand(line, options);
  const key = cmd.toLowerCase();
  if (key === "onbuild") {
    if (args === "") return instructionNode(cmd, line, flags, { next: [], json: false }, comments);
    const child = newNodeFromLine(args, options, []);
    const holder = argumentNode("");
    holder.children.push(child);
    return instructionNode(cmd, line, flags, { next: [holder], json: false }, comments);
  }
  const fn = dispatch[key];
  // Unknown instructions are kept with one empty argument; the instruction
  // layer rejects them later.
  const chain = fn === undefined ? { next: [argumentNode("")], json: false } : fn(args, options);
  return instructionNode(cmd, line, flags, chain, comments);
}

function canContainHeredoc(node: Node): boolean {
  let target = node;
  if (target.value === "onbuild") {
    const inner = target.next[0]?.children[0];
    if (inner !== undefined) target = inner;
  }
  return heredocKeywords.has(target.value) && !target.json;
}

function setLines(node: Node, start: number, end: number): void {
  node.startLine = start;
  node.endLine = end;
  for (const n of node.next) setLines(n, start, end);
  for (const c of node.children) setLines(c, start, end);
}

function located(e: unknown, range: LineRange[], file: string | undefined): unknown {
  if (!(e instanceof DockerfileError)) return e;
  if (e.range.length > 0) {
    if (e.file === undefined && file !== undefined) e.file = file;
    return e;
  }
  const opts: { range: LineRange[]; file?: string; cause?: unknown } = { range };
  if (file !== undefined) opts.file = file;
  if (e.cause !== undefined) opts.cause = e.cause;
  return new DockerfileError(e.message, opts);
}

function lineRange(start: number, end = start): LineRange[] {
  return [{ start, end: Math.max(start, end) }];
}

function decode(input: string | Uint8Array): string {
  return typeof input === "string"
    ? input
    : new TextDecoder("utf-8", { ignoreBOM: true }).decode(input);
}

/**
 * Parses a Dockerfile into its syntax tree.
 *
 * Throws {@linkcode DockerfileError} with BuildKit's messages (e.g.
 * `file with no instructions`, `unterminated heredoc`,
 * `ENV must have two arguments`) and the line range concerned.
 *
 * @example
 * ```ts
 * import { parseDockerfile } from "./parser.ts";
 * const { ast } = parseDockerfile("FROM alpine\nRUN <<EOF\necho hi\nEOF\n");
 * console.assert(ast.children[1]?.heredocs[0]?.content === "echo hi\n");
 * console.assert(ast.children[1]?.endLine === 4);
 * ```
 */
export function parseDockerfile(
  input: string | Uint8Array,
  options: ParseDockerfileOptions = {},
): ParseResult {
  const file = options.file;
  const scanner = new LineScanner(decode(input));
  const directiveParser = new DirectiveParser();
  const lineOptions: LineParserOptions = { escapeToken: "\\" };
  const directives: ParseResult["directives"] = {};
  const warnings: ParseWarning[] = [];
  const root = argumentNode("");
  root.startLine = -1;
  let comments: string[] = [];
  let currentLine = 0;

  const fail = (e: unknown, range: LineRange[]): never => {
    throw located(e, range, file);
  };
  const directiveLine = (token: string): boolean => {
    const d = directiveParser.parseLine(token);
    if (d === undefined) return false;
    if (d.name === "escape") validateEscapeToken(d.value, { range: d.range });
    directives[d.name] = { value: d.value, line: d.range[0]!.start };
    if (d.name === "escape") lineOptions.escapeToken = d.value;
    return true;
  };

  for (let raw = scanner.next(); raw !== undefined; raw = scanner.next()) {
    if (currentLine === 0 && raw.startsWith("\ufeff")) raw = raw.slice(1);
    if (isComment(raw)) {
      const comment = trimSpace(raw.slice(1));
      if (comment === "") comments = [];
      else comments.push(comment);
    }
    const token = trimLeftSpace(trimNewline(raw));
    try {
      if (directiveLine(token)) comments.pop();
    } catch (e) {
      fail(e, lineRange(currentLine + 1));
    }
    currentLine++;
    const startLine = currentLine;
    const [first, firstEnds] = trimContinuation(
      isComment(token) ? "" : token,
      lineOptions.escapeToken,
    );
    let isEndOfLine = firstEnds;
    if (isEndOfLine && first === "") continue;

    const parts = [first];
    let hasEmptyContinuationLine = false;
    while (!isEndOfLine) {
      const next = scanner.next();
      if (next === undefined) break;
      const t = trimNewline(next);
      try {
        directiveLine(t);
      } catch (e) {
        fail(e, lineRange(currentLine + 1));
      }
      currentLine++;
      if (isComment(next)) continue;
      if (isBlank(t)) {
        hasEmptyContinuationLine = true;
        continue;
      }
      const [cont, ends] = trimContinuation(t, lineOptions.escapeToken);
      parts.push(cont);
      isEndOfLine = ends;
    }
    const line = parts.join("");

    if (hasEmptyContinuationLine) {
      warnings.push({
        rule: "NoEmptyContinuation",
        short: "Empty continuation line found in: " + line,
        detail: ["Empty continuation lines will become errors in a future release"],
        url: EMPTY_CONTINUATION_URL,
        location: lineRange(currentLine),
      });
    }

    let child: Node;
    try {
      child = newNodeFromLine(line, lineOptions, comments);
    } catch (e) {
      return fail(e, lineRange(startLine, currentLine));
    }

    if (canContainHeredoc(child) && line.includes("<<")) {
      let docs: Heredoc[] = [];
      try {
        docs = heredocsFromLine(line);
      } catch (e) {
        fail(e, lineRange(startLine, currentLine));
      }
      for (const doc of docs) {
        const body: string[] = [];
        let terminated = false;
        for (let next = scanner.next(); next !== undefined; next = scanner.next()) {
          currentLine++;
          let candidate = trimNewline(next);
          if (doc.chomp) candidate = candidate.replace(/^\t+/, "");
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          body.push(next);
        }
        if (!terminated) {
          fail(new DockerfileError("unterminated heredoc"), lineRange(startLine, currentLine));
        }
        doc.content = body.join("");
        child.heredocs.push(doc);
      }
    }

    setLines(child, startLine, currentLine);
    if (root.startLine < 0) root.startLine = startLine;
    root.endLine = currentLine;
    root.children.push(child);
    comments = [];
  }

  if (root.startLine < 0) {
    fail(
      new DockerfileError("file with no instructions"),
      currentLine > 0 ? lineRange(currentLine) : [],
    );
  }
  if (scanner.tooLong) {
    fail(
      new DockerfileError(`dockerfile line greater than max allowed size of ${MAX_LINE_LENGTH}`),
      lineRange(currentLine + 1),
    );
  }
  return { ast: root, escapeToken: lineOptions.escapeToken, warnings, directives };
}
