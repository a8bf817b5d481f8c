// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * `COPY/ADD --chmod`: an octal mode (≤ 07777) or a symbolic mode as accepted
 * by BSD `chmod(1)` (`u=rwX,go=rX`, `+x`, `a-w`, `g=u`), which BuildKit
 * applies per copied file (`tonistiigi/dchapes-mode`, umask 0).
 *
 * @module
 */

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISTXT = 0o1000;
const RWXU = 0o700;
const RWXG = 0o070;
const RWXO = 0o007;
const STANDARD_BITS = S_ISUID | S_ISGID | RWXU | RWXG | RWXO;
const ALL_X = 0o111;

/** One step of a symbolic mode, applied in order. */
export type ChmodStep =
  /** Set (`+`) or clear (`-`) `bits`. */
  | { op: "+" | "-"; bits: number }
  /** Set `bits` only when the original mode has an execute bit or the file is a directory. */
  | { op: "X"; bits: number }
  /**
   * Copy the permission triplet of class `from` (`g=u`): to the user, group
   * and/or other triplets (`to`), masked by `bits`; `clear` first clears the
   * targets (for `=`), `set` then sets the copied value.
   */
  | {
    op: "copy";
    from: "u" | "g" | "o";
    to: { u: boolean; g: boolean; o: boolean };
    bits: number;
    clear: boolean;
    set: boolean;
  };

/** A parsed `--chmod` value. */
export type ChmodSpec =
  /** Octal mode, applied as is. */
  | { kind: "numeric"; mode: number }
  /** Symbolic mode: `text` as written and the steps it compiles to. */
  | { kind: "symbolic"; text: string; steps: ChmodStep[] };

/**
 * Parses a `--chmod` value like BuildKit's COPY/ADD.
 *
 * @throws {Error} `invalid chmod parameter: '…'. it should be octal string and
 * between 0 and 07777` for a numeric-looking value that is not a valid mode,
 * `invalid syntax` for a malformed symbolic mode.
 *
 * @example
 * ```ts
 * import { parseChmod } from "./chmod.ts";
 * const n = parseChmod("755");
 * console.assert(n.kind === "numeric" && n.mode === 0o755);
 * console.assert(parseChmod("u=rwX,go=rX").kind === "symbolic");
 * ```
 */
export function parseChmod(value: string): ChmodSpec {
  const nonOctal = () =>
    new Error(
      `invalid chmod parameter: '${value}'. it should be octal string and between 0 and 07777`,
    );
  if (/^[0-7]+$/.test(value)) {
    const mode = parseInt(value, 8);
    if (mode > 0o7777) throw nonOctal();
    return { kind: "numeric", mode };
  }
  if (value !== "" && value[0]! >= "0" && value[0]! <= "9") throw nonOctal();
  return { kind: "symbolic", text: value, steps: parseSymbolic(value) };
}

/** Options for {@link applySymbolicMode}. */
export interface ApplyModeOptions {
  /** The file is a directory (`X` then sets execute bits). */
  isDir?: boolean;
}

/**
 * The permission bits (07777 range) that `spec` gives a file whose current
 * mode is `currentMode` (only its low 12 bits are read).
 *
 * @example
 * ```ts
 * import { applySymbolicMode, parseChmod } from "./chmod.ts";
 * const spec = parseChmod("u=rwX,go=rX");
 * console.assert(applySymbolicMode(spec, 0o600) === 0o644);
 * console.assert(applySymbolicMode(spec, 0o700, { isDir: true }) === 0o755);
 * ```
 */
export function applySymbolicMode(
  spec: ChmodSpec,
  currentMode: number,
  options: ApplyModeOptions = {},
): number {
  if (spec.kind === "numeric") return spec.mode;
  const original = currentMode & 0o7777;
  let mode = original;
  for (const step of spec.steps) {
    switch (step.op) {
      case "+":
        mode |= step.bits;
        break;
      case "-":
        mode &= ~step.bits;
        break;
      case "X":
        if ((original & ALL_X) !== 0 || options.isDir === true) mode |= step.bits;
        break;
      case "copy": {
        const value = step.from === "u"
          ? (mode & RWXU) >> 6
          : step.from === "g"
          ? (mode & RWXG) >> 3
          : mode & RWXO;
        if (step.clear) {
          const clr = step.set ? 0o7 : value;
          if (step.to.u) mode &= ~((clr << 6) & step.bits);
          if (step.to.g) mode &= ~((clr << 3) & step.bits);
          if (step.to.o) mode &= ~(clr & step.bits);
        }
        if (step.set) {
          if (step.to.u) mode |= (value << 6) & step.bits;
          if (step.to.g) mode |= (value << 3) & step.bits;
          if (step.to.o) mode |= value & step.bits;
        }
        break;
      }
    }
  }
  return mode & 0o7777;
}

function syntaxError(): Error {
  return new Error("invalid syntax");
}

/** Compiles a symbolic mode into steps (BSD `setmode(3)` rules, umask 0). */
function parseSymbolic(input: string): ChmodStep[] {
  const steps: ChmodStep[] = [];
  const add = (op: string, who: number, arg: number | string) => {
    if (op === "=") {
      steps.push({ op: "-", bits: who !== 0 ? who : STANDARD_BITS });
      op = "+";
    }
    if (op === "+" || op === "-" || op === "X") {
      const bits = who !== 0 ? who & (arg as number) : (arg as number);
      steps.push(op === "X" ? { op: "X", bits } : { op: op as "+" | "-", bits });
      return;
    }
    // op is the copy source u/g/o; arg is the operator.
    const to = who !== 0
      ? { u: (who & 0o400) !== 0, g: (who & 0o040) !== 0, o: (who & 0o004) !== 0 }
      : { u: true, g: true, o: true };
    steps.push({
      op: "copy",
      from: op as "u" | "g" | "o",
      to,
      bits: 0xffff,
      clear: arg === "-" || arg === "=",
      set: arg === "+" || arg === "=",
    });
  };

  const s = input;
  let pos = 0;
  if (s === "") throw syntaxError();
  for (;;) {
    let who = 0;
    for (;;) {
      if (pos >= s.length) throw syntaxError();
      const c = s[pos];
      if (c === "a") who |= STANDARD_BITS;
      else if (c === "u") who |= S_ISUID | RWXU;
      else if (c === "g") who |= S_ISGID | RWXG;
      else if (c === "o") who |= RWXO;
      else break;
      pos++;
    }
    let equalOpDone = false;
    // One or more operator+permission groups for this `who`.
    for (;;) {
      const op = s[pos++];
      if (op === "=") equalOpDone = false;
      else if (op !== "+" && op !== "-") throw syntaxError();
      who &= ~S_ISTXT;
      let perm = 0;
      let permX = 0;
      for (;; pos++) {
        const b = pos < s.length ? s[pos] : "";
        if (b === "r") perm |= 0o444;
        else if (b === "w") perm |= 0o222;
        else if (b === "x") perm |= ALL_X;
        else if (b === "X") {
          if (op !== "-") permX = ALL_X;
          else perm |= ALL_X;
        } else if (b === "s") {
          if (who === 0 || (who & ~RWXO) !== 0) perm |= S_ISUID | S_ISGID;
        } else if (b === "t") {
          if (who === 0 || (who & ~RWXO) !== 0) {
            who |= S_ISTXT;
            perm |= S_ISTXT;
          }
        } else if (b === "u" || b === "g" || b === "o") {
          if (perm !== 0) {
            add(op, who, perm);
            perm = 0;
          }
          if (op === "=") equalOpDone = true;
          if (permX !== 0) {
            add("X", who, permX);
            permX = 0;
          }
          add(b, who, op);
        } else {
          if (perm !== 0 || (op === "=" && !equalOpDone)) {
            if (op === "=") equalOpDone = true;
            add(op, who, perm);
          }
          if (permX !== 0) add("X", who, permX);
          break;
        }
      }
      if (pos >= s.length) return steps;
      if (s[pos] === ",") break;
    }
    pos++; // the next clause starts after the comma
  }
}
