// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Syntax-tree nodes → typed instructions and build stages, with BuildKit's
 * argument checks, flags and messages (`frontend/dockerfile/instructions/parse.go`).
 *
 * @module
 */

import type { Heredoc, LineRange, Node, ParseResult } from "../ast.ts";
import { DockerfileError } from "../errors.ts";
import { chompHeredocContent, parseHeredoc } from "../heredoc.ts";
import { suggest, withSuggestion } from "../../util/mod.ts";
import { goQuote } from "./_go_quote.ts";
import { BFlags, type Flag } from "./bflag.ts";
import { parseDuration } from "./duration.ts";
import { parseDevice } from "./rundevice.ts";
import { checkMountSyntax } from "./runmount.ts";
import type {
  AddInstruction,
  ArgInstruction,
  CmdInstruction,
  CopyInstruction,
  EntrypointInstruction,
  EnvInstruction,
  ExposeInstruction,
  FromInstruction,
  HealthcheckInstruction,
  HealthConfig,
  Instruction,
  InstructionBase,
  KeyValuePair,
  KeyValuePairOptional,
  LabelInstruction,
  MaintainerInstruction,
  NetworkMode,
  OnbuildInstruction,
  ParsedStages,
  RunInstruction,
  SecurityMode,
  ShellDependantCmdLine,
  ShellInlineFile,
  ShellInstruction,
  SourceContent,
  SourcesAndDest,
  Stage,
  StopsignalInstruction,
  UserInstruction,
  VolumeInstruction,
  WorkdirInstruction,
} from "./types.ts";

/** A linter finding raised while building instructions. */
export interface InstructionLint {
  /** Rule name: `StageNameCasing`, `FromAsCasing`, `MaintainerDeprecated`, `InvalidDefinitionDescription`. */
  rule: string;
  /** BuildKit's message for the finding. */
  message: string;
  /** Lines of the instruction. */
  range: LineRange[];
}

/** Options for {@link parseInstruction} and {@link parseStages}. */
export interface ParseInstructionOptions {
  /** Receives the lint findings BuildKit raises at this layer (none are errors). */
  onLint?: (lint: InstructionLint) => void;
}

/** Names of all Dockerfile instructions, upper case. */
export const INSTRUCTION_NAMES: readonly string[] = [
  "ADD",
  "ARG",
  "CMD",
  "COPY",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
];

/** Everything an instruction parser needs from a node. */
interface Request {
  /** Keyword as written (original case). */
  command: string;
  args: string[];
  heredocs: Heredoc[];
  json: boolean;
  flags: BFlags;
  original: string;
  range: LineRange[];
  comments: string[];
}

/**
 * Converts one instruction node into a typed instruction (a FROM gives a
 * {@link FromInstruction}; {@link parseStages} turns those into stages).
 * Fields stay unexpanded.
 *
 * @throws {DockerfileError} with BuildKit's message and the node's lines.
 *
 * @example
 * ```ts ignore
 * import { parseDockerfile } from "../parser.ts";
 * import { parseInstruction } from "./parse.ts";
 * const node = parseDockerfile("COPY --link a b /dst/\n").ast.children[0]!;
 * const copy = parseInstruction(node);
 * console.assert(copy.kind === "copy" && copy.link && copy.destPath === "/dst/");
 * ```
 */
export function parseInstruction(node: Node, options: ParseInstructionOptions = {}): Instruction {
  const range = nodeRange(node);
  try {
    return dispatch(node, range, options);
  } catch (e) {
    if (e instanceof DockerfileError && e.range.length > 0) throw e;
    const message = e instanceof Error ? e.message : String(e);
    throw new DockerfileError(message, { range, cause: e });
  }
}

/**
 * Groups a parsed Dockerfile into build stages (BuildKit's `instructions.Parse`):
 * ARGs before the first FROM become `metaArgs`; every FROM opens a stage.
 *
 * @throws {DockerfileError} `dockerfile parse error on line N: …` for any
 * invalid instruction; `no build stage in current context` for an instruction
 * other than ARG before the first FROM.
 *
 * @example
 * ```ts ignore
 * import { parseDockerfile } from "../parser.ts";
 * import { parseStages } from "./parse.ts";
 * const { metaArgs, stages } = parseStages(parseDockerfile("ARG V=1\nFROM alpine AS base\nRUN true\n"));
 * console.assert(metaArgs.length === 1 && stages[0]?.name === "base");
 * ```
 */
export function parseStages(
  result: ParseResult | Node,
  options: ParseInstructionOptions = {},
): ParsedStages {
  const root = "ast" in result ? result.ast : result;
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  for (const child of root.children) {
    let inst: Instruction;
    try {
      inst = parseInstruction(child, options);
    } catch (e) {
      const err = e as DockerfileError;
      throw new DockerfileError(
        `dockerfile parse error on line ${child.startLine}: ${err.message}`,
        {
          range: err.range,
          cause: err,
        },
      );
    }
    if (inst.kind === "from") {
      const stage: Stage = {
        baseName: inst.baseName,
        original: inst.original,
        range: inst.range,
        comments: inst.comments,
        docComment: getDocComment(inst.comments, inst.name ?? ""),
        commands: [],
      };
      if (inst.name !== undefined) stage.name = inst.name;
      if (inst.platform !== undefined) stage.platform = inst.platform;
      stages.push(stage);
      continue;
    }
    if (stages.length === 0) {
      if (inst.kind === "arg") {
        metaArgs.push(inst);
        continue;
      }
      throw new DockerfileError("no build stage in current context", { range: inst.range });
    }
    stages[stages.length - 1]!.commands.push(inst);
  }
  return { metaArgs, stages };
}

/**
 * The doc comment of `name`: the text after `<name> ` in the first comment
 * line directly above the instruction that starts that way ("" when none).
 *
 * @example
 * ```ts
 * import { getDocComment } from "./parse.ts";
 * console.assert(getDocComment(["foo sets foo"], "foo") === "sets foo");
 * ```
 */
export function getDocComment(comments: readonly string[], name: string): string {
  if (name === "") return "";
  for (const line of comments) {
    if (line.startsWith(name + " ")) return line.slice(name.length + 1);
  }
  return "";
}

function nodeRange(node: Node): LineRange[] {
  return [{ start: node.startLine, end: node.endLine }];
}

function nodeArgs(node: Node): string[] {
  const out: string[] = [];
  for (const arg of node.next) {
    if (arg.children.length === 0) out.push(arg.value);
    else if (arg.children.length === 1) {
      const sub = arg.children[0]!;
      out.push(sub.value, ...nodeArgs(sub));
    }
  }
  return out;
}

/** The keyword as written: the first word of the original line when it matches. */
function writtenCommand(node: Node): string {
  const first = node.original.trimStart().split(/[\s]/, 1)[0] ?? "";
  return first.toLowerCase() === node.value.toLowerCase() ? first : node.value;
}

function newRequest(node: Node, range: LineRange[]): Request {
  let heredocs = node.heredocs;
  if (heredocs.length === 0 && node.next[0]?.children[0] !== undefined) {
    heredocs = node.next[0].children[0].heredocs;
  }
  return {
    command: writtenCommand(node),
    args: nodeArgs(node),
    heredocs,
    json: node.json,
    flags: new BFlags(node.flags),
    original: node.original,
    range,
    comments: [...node.prevComment],
  };
}

function base(req: Request): InstructionBase {
  return { range: req.range, original: req.original.trim(), comments: req.comments };
}

function dispatch(node: Node, range: LineRange[], options: ParseInstructionOptions): Instruction {
  const req = newRequest(node, range);
  const lint = (rule: string, message: string) => options.onLint?.({ rule, message, range });
  switch (node.value.toLowerCase()) {
    case "env":
      return parseEnv(req);
    case "maintainer":
      lint("MaintainerDeprecated", "Maintainer instruction is deprecated in favor of using label");
      return parseMaintainer(req);
    case "label":
      return parseLabel(req);
    case "add":
      return parseAdd(req);
    case "copy":
      return parseCopy(req);
    case "from": {
      const a = req.args;
      if (a.length === 3 && a[2] !== a[2]!.toLowerCase()) {
        lint("StageNameCasing", `Stage name '${a[2]}' should be lowercase`);
      }
      if (!fromCaseMatchesAsCase(req)) {
        lint("FromAsCasing", `'${a[1]}' and '${req.command}' keywords' casing do not match`);
      }
      const from = parseFrom(req);
      if (from.name !== undefined) {
        checkDefinitionDescription("FROM", [from.name], req.comments, lint);
      }
      return from;
    }
    case "onbuild":
      return parseOnbuild(req);
    case "workdir":
      return parseWorkdir(req);
    case "run":
      return parseRun(req);
    case "cmd":
      return { kind: "cmd", ...base(req), ...parseCmdLine(req) } satisfies CmdInstruction;
    case "entrypoint":
      return {
        kind: "entrypoint",
        ...base(req),
        ...parseCmdLine(req),
      } satisfies EntrypointInstruction;
    case "healthcheck":
      return parseHealthcheck(req);
    case "expose":
      return parseExpose(req);
    case "user":
      return parseUser(req);
    case "volume":
      return parseVolume(req);
    case "stopsignal":
      return parseStopsignal(req);
    case "arg": {
      const arg = parseArg(req);
      checkDefinitionDescription("ARG", arg.args.map((a) => a.key), req.comments, lint);
      return arg;
    }
    case "shell":
      return parseShell(req);
  }
  throw new DockerfileError(
    withSuggestion(`unknown instruction: ${req.command}`, suggest(req.command, INSTRUCTION_NAMES)),
    { range },
  );
}

function errAtLeastOneArgument(command: string): Error {
  return new Error(`${command} requires at least one argument`);
}

function errExactlyOneArgument(command: string): Error {
  return new Error(`${command} requires exactly one argument`);
}

function errNoDestination(command: string): Error {
  return new Error(
    `${command} requires at least two arguments, but only one was provided. Destination could not be determined`,
  );
}

function parseKvps(args: string[], command: string): KeyValuePair[] {
  if (args.length === 0) throw errAtLeastOneArgument(command);
  if (args.length % 3 !== 0) throw new Error(`Bad input to ${command}, too many arguments`);
  const out: KeyValuePair[] = [];
  for (let i = 0; i < args.length; i += 3) {
    const key = args[i]!;
    if (key.length === 0) throw new Error(`${command} names can not be blank`);
    out.push({ key, value: args[i + 1]!, noDelim: args[i + 2] === "" });
  }
  return out;
}

function parseEnv(req: Request): EnvInstruction {
  req.flags.parse();
  return { kind: "env", ...base(req), env: parseKvps(req.args, "ENV") };
}

function parseLabel(req: Request): LabelInstruction {
  req.flags.parse();
  return { kind: "label", ...base(req), labels: parseKvps(req.args, "LABEL"), noExpand: false };
}

function parseMaintainer(req: Request): MaintainerInstruction {
  if (req.args.length !== 1) throw errExactlyOneArgument("MAINTAINER");
  req.flags.parse();
  return { kind: "maintainer", ...base(req), maintainer: req.args[0]! };
}

function heredocWord(word: string): Heredoc | undefined {
  try {
    return parseHeredoc(word);
  } catch {
    return undefined;
  }
}

function parseSourcesAndDest(req: Request, command: string): SourcesAndDest {
  const srcs = req.args.slice(0, -1);
  const dest = req.args[req.args.length - 1]!;
  if (heredocWord(dest) !== undefined) {
    throw new Error(`${command} cannot accept a heredoc as a destination`);
  }
  const lookup = new Map<string, Heredoc>();
  for (const h of req.heredocs) lookup.set(h.name, h);
  const sourcePaths: string[] = [];
  const sourceContents: SourceContent[] = [];
  for (const src of srcs) {
    const h = heredocWord(src);
    if (h === undefined) {
      sourcePaths.push(src);
      continue;
    }
    let data = lookup.get(h.name)?.content ?? "";
    if (h.chomp) data = chompHeredocContent(data);
    sourceContents.push({ path: h.name, data, expand: h.expand });
  }
  return { destPath: dest, sourcePaths, sourceContents };
}

function parseAdd(req: Request): AddInstruction {
  if (req.args.length < 2) throw errNoDestination("ADD");
  const f = req.flags;
  const chown = f.addString("chown", "");
  const chmod = f.addString("chmod", "");
  const link = f.addBool("link", false);
  const keepGitDir = f.addBool("keep-git-dir", false);
  const checksum = f.addString("checksum", "");
  const unpack = f.addBool("unpack", false);
  const exclude = f.addStrings("exclude");
  f.parse();
  const add: AddInstruction = {
    kind: "add",
    ...base(req),
    ...parseSourcesAndDest(req, "ADD"),
    chown: chown.value,
    chmod: chmod.value,
    link: link.value === "true",
    exclude: exclude.values,
    checksum: checksum.value,
  };
  if (f.isUsed("keep-git-dir")) add.keepGitDir = keepGitDir.value === "true";
  if (f.isUsed("unpack")) add.unpack = unpack.value === "true";
  return add;
}

function parseCopy(req: Request): CopyInstruction {
  if (req.args.length < 2) throw errNoDestination("COPY");
  const f = req.flags;
  const chown = f.addString("chown", "");
  const from = f.addString("from", "");
  const chmod = f.addString("chmod", "");
  const link = f.addBool("link", false);
  const exclude = f.addStrings("exclude");
  const parents = f.addBool("parents", false);
  f.parse();
  return {
    kind: "copy",
    ...base(req),
    ...parseSourcesAndDest(req, "COPY"),
    from: from.value,
    chown: chown.value,
    chmod: chmod.value,
    link: link.value === "true",
    parents: parents.value === "true",
    exclude: exclude.values,
  };
}

const VALID_STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

function parseFrom(req: Request): FromInstruction {
  const a = req.args;
  let name: string | undefined;
  if (a.length === 3 && a[1]!.toLowerCase() === "as") {
    name = a[2]!.toLowerCase();
    if (!VALID_STAGE_NAME.test(name)) {
      throw new Error(
        `invalid name for build stage: ${
          goQuote(a[2]!)
        }, name can't start with a number or contain symbols`,
      );
    }
  } else if (a.length !== 1) {
    throw new Error("FROM requires either one or three arguments");
  }
  const platform = req.flags.addString("platform", "");
  req.flags.parse();
  const from: FromInstruction = { kind: "from", ...base(req), baseName: a[0]! };
  if (name !== undefined) from.name = name;
  if (req.flags.isUsed("platform")) from.platform = platform.value;
  return from;
}

function fromCaseMatchesAsCase(req: Request): boolean {
  if (req.args.length < 3) return true;
  const cmd = req.command;
  const lower = cmd === cmd.toLowerCase();
  const upper = cmd === cmd.toUpperCase();
  if (!lower && !upper) return true;
  const as = req.args[1]!;
  return lower ? as === as.toLowerCase() : as === as.toUpperCase();
}

function checkDefinitionDescription(
  instruction: string,
  keys: string[],
  comments: string[],
  lint: (rule: string, message: string) => void,
): void {
  if (comments.length === 0 || keys.length === 0) return;
  const first = comments[comments.length - 1]!.split(" ")[0]!;
  if (keys.includes(first)) return;
  const example = keys.length > 1 ? "<arg_key>" : keys[0]!;
  lint(
    "InvalidDefinitionDescription",
    `Comment for ${instruction} should follow the format: \`# ${example} <description>\``,
  );
}

function parseOnbuild(req: Request): OnbuildInstruction {
  if (req.args.length === 0) throw errAtLeastOneArgument("ONBUILD");
  req.flags.parse();
  const trigger = req.args[0]!.trim().toUpperCase();
  if (trigger === "ONBUILD") {
    throw new Error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  }
  if (trigger === "MAINTAINER" || trigger === "FROM") {
    throw new Error(`${trigger} isn't allowed as an ONBUILD trigger`);
  }
  let expression = req.original.replace(/^\s*ONBUILD\s*/i, "");
  for (const h of req.heredocs) expression += "\n" + h.content + h.name;
  return { kind: "onbuild", ...base(req), expression };
}

function parseWorkdir(req: Request): WorkdirInstruction {
  if (req.args.length !== 1) throw errExactlyOneArgument("WORKDIR");
  req.flags.parse();
  return { kind: "workdir", ...base(req), path: req.args[0]! };
}

/** BuildKit's `handleJSONArgs`: exec form as is, shell form joined into one string. */
function handleJsonArgs(args: string[], json: boolean): string[] {
  if (args.length === 0) return [];
  if (json) return args;
  return [args.join(" ")];
}

function parseCmdLine(req: Request): ShellDependantCmdLine {
  req.flags.parse();
  return shellDependantCmdLine(req);
}

function shellDependantCmdLine(req: Request): ShellDependantCmdLine {
  const files: ShellInlineFile[] = req.heredocs.map((h) => ({
    name: h.name,
    data: h.content,
    chomp: h.chomp,
  }));
  return { cmdLine: handleJsonArgs(req.args, req.json), files, prependShell: !req.json };
}

function parseRun(req: Request): RunInstruction {
  const f = req.flags;
  const device = f.addStrings("device");
  const mount = f.addStrings("mount");
  const network = f.addString("network", "default");
  const security = f.addString("security", "sandbox");
  f.parse();
  const flagsUsed = f.used();
  const cmd = shellDependantCmdLine(req);
  const devices = device.values.map((v) => parseDevice(v));
  for (const m of mount.values) checkMountSyntax(m);
  if (!["default", "none", "host"].includes(network.value)) {
    throw new Error(`invalid network mode ${goQuote(network.value)}`);
  }
  if (!["sandbox", "insecure"].includes(security.value)) {
    throw new Error(`security ${goQuote(security.value)} is not valid`);
  }
  return {
    kind: "run",
    ...base(req),
    ...cmd,
    mounts: [...mount.values],
    network: network.value as NetworkMode,
    security: security.value as SecurityMode,
    devices,
    flagsUsed,
  };
}

/** BuildKit's `parseOptInterval`: "" → 0, 0 allowed, otherwise at least 1ms. */
function parseOptInterval(flag: Flag): number {
  if (flag.value === "") return 0;
  const d = parseDuration(flag.value);
  if (d === 0) return 0;
  if (d < 1_000_000) throw new Error(`Interval ${goQuote(flag.name)} cannot be less than 1ms`);
  return d;
}

function parseHealthcheck(req: Request): HealthcheckInstruction {
  if (req.args.length === 0) throw errAtLeastOneArgument("HEALTHCHECK");
  let typ = req.args[0]!.toUpperCase();
  const args = req.args.slice(1);
  if (typ === "NONE") {
    if (args.length !== 0) throw new Error("HEALTHCHECK NONE takes no arguments");
    return {
      kind: "healthcheck",
      ...base(req),
      health: {
        test: [typ],
        interval: 0,
        timeout: 0,
        startPeriod: 0,
        startInterval: 0,
        retries: 0,
      },
    };
  }
  const f = req.flags;
  const interval = f.addString("interval", "");
  const timeout = f.addString("timeout", "");
  const startPeriod = f.addString("start-period", "");
  const startInterval = f.addString("start-interval", "");
  const retries = f.addString("retries", "");
  f.parse();
  if (typ !== "CMD") throw new Error(`Unknown type ${goQuote(typ)} in HEALTHCHECK (try CMD)`);
  const cmd = handleJsonArgs(args, req.json);
  if (cmd.length === 0) throw new Error("Missing command after HEALTHCHECK CMD");
  if (!req.json) typ = "CMD-SHELL";
  const health: HealthConfig = {
    test: [typ, ...cmd],
    interval: parseOptInterval(interval),
    timeout: parseOptInterval(timeout),
    startPeriod: parseOptInterval(startPeriod),
    startInterval: parseOptInterval(startInterval),
    retries: 0,
  };
  if (retries.value !== "") {
    const r = parseGoInt32(retries.value);
    if (r < 0) throw new Error(`--retries cannot be negative (${r})`);
    health.retries = r;
  }
  return { kind: "healthcheck", ...base(req), health };
}

/** Go's `strconv.ParseInt(s, 10, 32)` with its error messages. */
function parseGoInt32(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) {
    throw new Error(`strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`);
  }
  const n = Number(s);
  if (n > 2147483647 || n < -2147483648) {
    throw new Error(`strconv.ParseInt: parsing ${goQuote(s)}: value out of range`);
  }
  return n;
}

function parseExpose(req: Request): ExposeInstruction {
  if (req.args.length === 0) throw errAtLeastOneArgument("EXPOSE");
  req.flags.parse();
  const ports = [...req.args].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { kind: "expose", ...base(req), ports };
}

function parseUser(req: Request): UserInstruction {
  if (req.args.length !== 1) throw errExactlyOneArgument("USER");
  req.flags.parse();
  return { kind: "user", ...base(req), user: req.args[0]! };
}

function parseVolume(req: Request): VolumeInstruction {
  if (req.args.length === 0) throw errAtLeastOneArgument("VOLUME");
  req.flags.parse();
  const volumes: string[] = [];
  for (const v of req.args) {
    const t = v.trim();
    if (t === "") throw new Error("VOLUME specified can not be an empty string");
    volumes.push(t);
  }
  return { kind: "volume", ...base(req), volumes };
}

function parseStopsignal(req: Request): StopsignalInstruction {
  // BuildKit never parses STOPSIGNAL's flags: they are ignored.
  if (req.args.length !== 1) throw errExactlyOneArgument("STOPSIGNAL");
  return { kind: "stopsignal", ...base(req), signal: req.args[0]! };
}

function parseArg(req: Request): ArgInstruction {
  // BuildKit never parses ARG's flags: they are ignored.
  if (req.args.length < 1) throw errAtLeastOneArgument("ARG");
  const args: KeyValuePairOptional[] = req.args.map((arg) => {
    const eq = arg.indexOf("=");
    if (eq < 0) return { key: arg, docComment: getDocComment(req.comments, arg) };
    if (eq === 0) throw new Error("ARG names can not be blank");
    const key = arg.slice(0, eq);
    return { key, value: arg.slice(eq + 1), docComment: getDocComment(req.comments, key) };
  });
  return { kind: "arg", ...base(req), args };
}

function parseShell(req: Request): ShellInstruction {
  req.flags.parse();
  const shell = handleJsonArgs(req.args, req.json);
  if (shell.length === 0) throw errAtLeastOneArgument("SHELL");
  if (!req.json) throw new Error("SHELL requires the arguments to be in JSON form");
  return { kind: "shell", ...base(req), shell };
}

/** BuildKit's message for a `COPY --from` value that uses variables. */
export const COPY_FROM_EXPANSION_MESSAGE =
  "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround";

/** Options for {@link checkCopyFrom}. */
export interface CheckCopyFromOptions {
  /** Word expansion with an EMPTY environment (the shell lexer's `processWord`). */
  processWord: (word: string) => string;
}

/**
 * Rejects a `COPY --from` value that expansion would change (BuildKit expands
 * it with an empty environment and compares): `--from=$STAGE` is an error.
 *
 * @throws {DockerfileError} {@link COPY_FROM_EXPANSION_MESSAGE} with the COPY's lines.
 *
 * @example
 * ```ts
 * import { checkCopyFrom } from "./parse.ts";
 * const processWord = (w: string) => w.replace(/\$\w+/g, "");
 * checkCopyFrom({ from: "build", range: [] }, { processWord }); // ok
 * ```
 */
export function checkCopyFrom(
  copy: { from: string; range: LineRange[] },
  options: CheckCopyFromOptions,
): void {
  if (copy.from === "") return;
  if (options.processWord(copy.from) !== copy.from) {
    throw new DockerfileError(COPY_FROM_EXPANSION_MESSAGE, { range: copy.range });
  }
}
