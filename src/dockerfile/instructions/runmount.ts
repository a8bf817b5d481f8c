// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * `RUN --mount=…` values: CSV `key=value` lists parsed into {@link MountSpec}
 * with BuildKit's keys, parse-time defaults and messages
 * (`frontend/dockerfile/instructions/commands_runmount.go`).
 *
 * @module
 */

import { suggest, withSuggestion } from "../../util/mod.ts";
import { goQuote } from "./_go_quote.ts";
import { parseCsvFields } from "./csv.ts";
import type { CacheSharing, MountSpec, MountType } from "./types.ts";

const MOUNT_TYPES: readonly MountType[] = ["bind", "cache", "tmpfs", "secret", "ssh"];
const SHARING_MODES: readonly CacheSharing[] = ["shared", "private", "locked"];
const ALL_KEYS = [
  "type",
  "from",
  "source",
  "target",
  "readonly",
  "id",
  "sharing",
  "required",
  "size",
  "mode",
  "uid",
  "gid",
  "src",
  "dst",
  "destination",
  "ro",
  "rw",
  "readwrite",
  "env",
];

/**
 * Parses one `--mount` value. Each value is passed through `expand` (the
 * stage's variable expansion) before it is interpreted; without `expand` the
 * values are taken literally. Keys are case-insensitive.
 *
 * @throws {Error} with BuildKit's message (unknown key with a suggestion,
 * invalid values, options not allowed for the type, secret constraints).
 *
 * @example
 * ```ts
 * import { parseMount } from "./runmount.ts";
 * const m = parseMount("type=cache,target=/root/.cache,sharing=locked");
 * console.assert(m.type === "cache" && !m.readOnly && m.cacheSharing === "locked");
 * ```
 */
export function parseMount(value: string, expand?: (s: string) => string): MountSpec {
  const fields = csvFields(value);
  const m: MountSpec = {
    type: "bind",
    from: "",
    source: "",
    target: "",
    readOnly: false,
    sizeLimit: 0,
    cacheId: "",
    required: false,
  };
  let roAuto = true;

  for (const field of fields) {
    const eq = field.indexOf("=");
    const key = (eq >= 0 ? field.slice(0, eq) : field).toLowerCase();
    if (eq < 0) {
      switch (key) {
        case "readonly":
        case "ro":
          m.readOnly = true;
          roAuto = false;
          continue;
        case "readwrite":
        case "rw":
          m.readOnly = false;
          roAuto = false;
          continue;
        case "required":
          if (m.type === "secret" || m.type === "ssh") {
            m.required = true;
            continue;
          }
          throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
        default:
          throw new Error(`invalid field '${field}' must be a key=value pair`);
      }
    }
    const raw = field.slice(eq + 1);
    const val = expand === undefined ? raw : expand(raw);

    switch (key) {
      case "type": {
        const t = val.toLowerCase() as MountType;
        if (!MOUNT_TYPES.includes(t)) {
          throw new Error(
            withSuggestion(
              `unsupported mount type ${goQuote(val)}`,
              suggest(val, MOUNT_TYPES, { caseSensitive: true }),
            ),
          );
        }
        m.type = t;
        break;
      }
      case "from":
        m.from = val;
        break;
      case "source":
      case "src":
        m.source = val;
        break;
      case "target":
      case "dst":
      case "destination":
        m.target = val;
        break;
      case "readonly":
      case "ro":
        m.readOnly = parseGoBool(key, val);
        roAuto = false;
        break;
      case "readwrite":
      case "rw":
        m.readOnly = !parseGoBool(key, val);
        roAuto = false;
        break;
      case "required":
        if (m.type !== "secret" && m.type !== "ssh") {
          throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
        }
        m.required = parseGoBool(key, val);
        break;
      case "size": {
        if (m.type !== "tmpfs") {
          throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
        }
        const size = ramInBytes(val);
        if (size === undefined) throw new Error(`invalid value for ${key}: ${val}`);
        m.sizeLimit = size;
        break;
      }
      case "id":
        m.cacheId = val;
        break;
      case "sharing": {
        const s = val.toLowerCase() as CacheSharing;
        if (!SHARING_MODES.includes(s)) {
          throw new Error(
            withSuggestion(
              `unsupported sharing value ${goQuote(val)}`,
              suggest(val, SHARING_MODES, { caseSensitive: true }),
            ),
          );
        }
        m.cacheSharing = s;
        break;
      }
      case "mode": {
        if (!/^[0-7]+$/.test(val) || parseInt(val, 8) > 0xffffffff) {
          throw new Error(`invalid value ${val} for mode`);
        }
        m.mode = parseInt(val, 8);
        break;
      }
      case "uid":
      case "gid": {
        if (!/^[0-9]+$/.test(val) || Number(val) > 0xffffffff) {
          throw new Error(`invalid value ${val} for ${key}`);
        }
        m[key] = Number(val);
        break;
      }
      case "env":
        m.env = val;
        break;
      default:
        throw new Error(
          withSuggestion(
            `unexpected key '${key}' in '${field}'`,
            suggest(key, ALL_KEYS, { caseSensitive: true }),
          ),
        );
    }
  }

  if (m.type !== "secret" && m.type !== "ssh" && m.type !== "cache") {
    if (m.mode !== undefined) {
      throw new Error(`mode not allowed for ${goQuote(m.type)} type mounts`);
    }
    if (m.uid !== undefined) throw new Error(`uid not allowed for ${goQuote(m.type)} type mounts`);
    if (m.gid !== undefined) throw new Error(`gid not allowed for ${goQuote(m.type)} type mounts`);
  }
  if (roAuto) m.readOnly = m.type !== "cache" && m.type !== "tmpfs";
  if (m.type === "secret") {
    if (m.from !== "") throw new Error("secret mount should not have a from");
    if (m.cacheSharing !== undefined) throw new Error("secret mount should not define sharing");
    if (m.source === "" && m.target === "" && m.cacheId === "") {
      throw new Error("invalid secret mount. one of source, target required");
    }
    if (m.source !== "" && m.cacheId !== "") throw new Error("both source and id can't be set");
  }
  if (m.cacheSharing !== undefined && m.type !== "cache") {
    throw new Error(`invalid cache sharing set for ${m.type} mount`);
  }
  return m;
}

/**
 * The checks BuildKit makes on a `--mount` value when the instruction is
 * parsed, before variables are known: the CSV must be well formed and `from`
 * must not use a variable (`$` anywhere but at the end).
 *
 * @throws {Error} `'from' doesn't support variable expansion, define alias stage instead`.
 *
 * @example
 * ```ts
 * import { checkMountSyntax } from "./runmount.ts";
 * checkMountSyntax("type=cache,target=$DIR"); // ok: expanded later
 * ```
 */
export function checkMountSyntax(value: string): void {
  for (const field of csvFields(value)) {
    const eq = field.indexOf("=");
    if (eq < 0) continue;
    const key = field.slice(0, eq).toLowerCase();
    const val = field.slice(eq + 1);
    if (key === "from") {
      const idx = val.indexOf("$");
      if (idx !== -1 && idx !== val.length - 1) {
        throw new Error(`'${key}' doesn't support variable expansion, define alias stage instead`);
      }
    }
  }
}

function csvFields(value: string): string[] {
  try {
    return parseCsvFields(value);
  } catch (e) {
    throw new Error(`failed to parse csv mounts: ${(e as Error).message}`, { cause: e });
  }
}

/** Go's `strconv.ParseBool`, with BuildKit's mount error text. */
function parseGoBool(key: string, value: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  throw new Error(`invalid value for ${key}: ${value}`);
}

/**
 * `docker/go-units` `RAMInBytes`: `64m`, `1.5g`, `512KiB`, `100` (bytes);
 * binary multipliers. Undefined when invalid.
 */
export function ramInBytes(size: string): number | undefined {
  let sep = -1;
  for (let i = size.length - 1; i >= 0; i--) {
    if ("01234567890. ".includes(size[i]!)) {
      sep = i;
      break;
    }
  }
  if (sep === -1) return undefined;
  const num = size[sep] !== " " ? size.slice(0, sep + 1) : size.slice(0, sep);
  let sfx = size.slice(sep + 1);
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(num)) return undefined;
  let n = Number(num);
  if (!Number.isFinite(n) || n < 0) return undefined;
  if (sfx.length === 0) return Math.trunc(n);
  if (sfx.length > 3) return undefined;
  sfx = sfx.toLowerCase();
  if (sfx[0] === "b") return sfx.length > 1 ? undefined : Math.trunc(n);
  const mul = ({ k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 } as Record<
    string,
    number
  >)[sfx[0]!];
  if (mul === undefined) return undefined;
  n *= mul;
  if (sfx.length === 2 && sfx[1] !== "b") return undefined;
  if (sfx.length === 3 && sfx.slice(1) !== "ib") return undefined;
  return Math.trunc(n);
}
