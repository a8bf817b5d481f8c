// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * An immutable, ordered environment as the frontend tracks it per stage.
 * Setting a key moves it to the end (BuildKit's `llb.EnvList` orders keys by
 * their last assignment), which fixes the order of the exec op's `env`.
 *
 * @example
 * ```ts
 * import { EnvList } from "./env_list.ts";
 * const env = EnvList.empty().set("A", "1").set("B", "2").set("A", "3");
 * console.assert(env.toArray().join(",") === "B=2,A=3");
 * ```
 */
export class EnvList {
  readonly #entries: ReadonlyArray<readonly [string, string]>;

  private constructor(entries: ReadonlyArray<readonly [string, string]>) {
    this.#entries = entries;
  }

  /** An environment with no variables. */
  static empty(): EnvList {
    return new EnvList([]);
  }

  /** Builds a list from `K=V` strings (a value-less entry gets ""). */
  static fromArray(list: readonly string[]): EnvList {
    let env = EnvList.empty();
    for (const kv of list) {
      const [k, v] = splitKeyValue(kv);
      env = env.set(k, v);
    }
    return env;
  }

  /** Returns a list with `key` set to `value`, moved to the end. */
  set(key: string, value: string): EnvList {
    return new EnvList([...this.#entries.filter(([k]) => k !== key), [key, value]]);
  }

  /** Returns a list without `key`. */
  delete(key: string): EnvList {
    return new EnvList(this.#entries.filter(([k]) => k !== key));
  }

  /** The value of `key`, or undefined when unset. */
  get(key: string): string | undefined {
    for (const [k, v] of this.#entries) if (k === key) return v;
    return undefined;
  }

  /** Whether `key` is set (possibly to ""). */
  has(key: string): boolean {
    return this.#entries.some(([k]) => k === key);
  }

  /** Keys in order. */
  keys(): string[] {
    return this.#entries.map(([k]) => k);
  }

  /** `K=V` strings in order. */
  toArray(): string[] {
    return this.#entries.map(([k, v]) => `${k}=${v}`);
  }

  /** A plain record (for the word-expansion lexer). */
  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.#entries) out[k] = v;
    return out;
  }

  /** Entries in order. */
  entries(): Array<[string, string]> {
    return this.#entries.map(([k, v]) => [k, v]);
  }
}

/**
 * Splits `K=V` at the first `=`; a string without `=` is a key with value "".
 *
 * @example
 * ```ts
 * import { splitKeyValue } from "./env_list.ts";
 * console.assert(splitKeyValue("A=b=c")[1] === "b=c");
 * ```
 */
export function splitKeyValue(kv: string): [string, string] {
  const i = kv.indexOf("=");
  if (i < 0) return [kv, ""];
  return [kv.slice(0, i), kv.slice(i + 1)];
}
