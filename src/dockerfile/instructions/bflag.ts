// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The builder-flag parser of Dockerfile instructions (`--from=x`, `--link`),
 * with BuildKit's rules and messages (`frontend/dockerfile/instructions/bflag.go`).
 *
 * @module
 */

import { suggest, withSuggestion } from "../../util/mod.ts";

/** Kind of a builder flag. */
export type FlagType = "bool" | "string" | "strings";

/** One declared flag and, after {@link BFlags.parse}, its value. */
export interface Flag {
  /** Name without the leading `--`. */
  readonly name: string;
  readonly type: FlagType;
  /** Value of a bool (`"true"`/`"false"`) or string flag. */
  value: string;
  /** All values of a repeatable (`strings`) flag, in order. */
  values: string[];
}

/**
 * A set of declared flags parsed from an instruction's raw flag words.
 *
 * @example
 * ```ts
 * import { BFlags } from "./bflag.ts";
 * const flags = new BFlags(["--from=build", "--link"]);
 * const from = flags.addString("from", "");
 * const link = flags.addBool("link", false);
 * flags.parse();
 * console.assert(from.value === "build" && link.value === "true");
 * ```
 */
export class BFlags {
  /** The raw flag words (`--name[=value]`). */
  readonly args: readonly string[];
  #flags = new Map<string, Flag>();
  #used = new Set<string>();
  #setupError: string | undefined;

  /** Creates a flag set over the raw words of an instruction. */
  constructor(args: readonly string[]) {
    this.args = args;
  }

  /** Declares a boolean flag (`--f`, `--f=true`, `--f=false`). */
  addBool(name: string, defaultValue: boolean): Flag {
    return this.#add(name, "bool", defaultValue ? "true" : "false");
  }

  /** Declares a flag that takes one value (`--f=v`). */
  addString(name: string, defaultValue: string): Flag {
    return this.#add(name, "string", defaultValue);
  }

  /** Declares a repeatable flag (`--f=a --f=b`). */
  addStrings(name: string): Flag {
    return this.#add(name, "strings", "");
  }

  /** Whether the flag `name` appeared in the arguments. */
  isUsed(name: string): boolean {
    return this.#used.has(name);
  }

  /** Names of the flags that appeared, in declaration order. */
  used(): string[] {
    return [...this.#flags.keys()].filter((n) => this.#used.has(n));
  }

  /**
   * Parses the raw words into the declared flags.
   *
   * @throws {Error} with BuildKit's message for an unknown, duplicate or
   * malformed flag.
   */
  parse(): void {
    if (this.#setupError !== undefined) {
      throw new Error(`error setting up flags: ${this.#setupError}`);
    }
    for (const arg of this.args) {
      if (arg === "--") return;
      if (!arg.startsWith("--")) throw new Error(`arg should start with -- : ${arg}`);
      const eq = arg.indexOf("=");
      const hasValue = eq >= 0;
      const flagName = hasValue ? arg.slice(0, eq) : arg;
      const value = hasValue ? arg.slice(eq + 1) : "";
      const name = flagName.slice(2);
      const flag = this.#flags.get(name);
      if (flag === undefined) {
        throw new Error(
          withSuggestion(
            `unknown flag: ${flagName}`,
            suggest(name, this.#flags.keys(), { caseSensitive: true }),
          ),
        );
      }
      if (this.#used.has(name) && flag.type !== "strings") {
        throw new Error(`duplicate flag specified: ${flagName}`);
      }
      this.#used.add(name);
      switch (flag.type) {
        case "bool": {
          if (hasValue && value === "") throw new Error(`missing a value on flag: ${flagName}`);
          const lower = value.toLowerCase();
          if (lower === "true" || lower === "") flag.value = "true";
          else if (lower === "false") flag.value = "false";
          else throw new Error(`expecting boolean value for flag ${flagName}, not: ${value}`);
          break;
        }
        case "string":
          if (!hasValue) throw new Error(`missing a value on flag: ${flagName}`);
          flag.value = value;
          break;
        case "strings":
          if (!hasValue) throw new Error(`missing a value on flag: ${flagName}`);
          flag.values.push(value);
          break;
      }
    }
  }

  #add(name: string, type: FlagType, value: string): Flag {
    const flag: Flag = { name, type, value, values: [] };
    if (this.#flags.has(name)) {
      this.#setupError ??= `Duplicate flag defined: ${name}`;
      return flag;
    }
    this.#flags.set(name, flag);
    return flag;
  }
}
