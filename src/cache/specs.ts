// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Parsing of `--cache-to` and `--cache-from` values the way buildx reads
 * them (`util/buildflags/cache.go`): CSV fields `key=value` with a required
 * `type`, keys lower-cased, values kept; a value without `=` is a registry
 * reference (for `--cache-from`, each CSV field of it is its own entry).
 * The attributes are then checked per type, as BuildKit's cache backends do.
 *
 * @module
 */

import { CsvError, splitCsv as splitCsvRecord } from "../util/mod.ts";
import { suggest, withSuggestion } from "../util/mod.ts";
import { type CacheMode, CacheSpecError } from "./types.ts";

/** Layer compression options of an export (accepted; layers are exported as stored). */
export interface CacheCompressionOptions {
  /** `uncompressed`, `gzip` or `zstd`. */
  compression?: "uncompressed" | "gzip" | "zstd";
  /** Compression level. */
  compressionLevel?: number;
}

/** A parsed `--cache-to`. */
export type CacheExportSpec =
  | ({
    type: "registry";
    ref: string;
    mode: CacheMode;
    ociMediaTypes: boolean;
    imageManifest: boolean;
    ignoreError: boolean;
    insecure: boolean;
  } & CacheCompressionOptions)
  | ({
    type: "local";
    dest: string;
    tag: string;
    mode: CacheMode;
    ociMediaTypes: boolean;
    imageManifest: boolean;
    ignoreError: boolean;
  } & CacheCompressionOptions)
  | { type: "inline"; ignoreError: boolean };

/** A parsed `--cache-from`. */
export type CacheImportSpec =
  | { type: "registry"; ref: string; insecure: boolean }
  | { type: "local"; src: string; tag: string; digest?: string };

/** Which flag a value belongs to. */
export type CacheDirection = "to" | "from";

const TYPES = ["registry", "local", "inline", "gha", "s3", "azblob"];
const SUPPORTED: Record<CacheDirection, string[]> = {
  to: ["registry", "local", "inline"],
  from: ["registry", "local"],
};

const COMMON_EXPORT = [
  "mode",
  "oci-mediatypes",
  "image-manifest",
  "compression",
  "compression-level",
  "force-compression",
  "ignore-error",
];
const KEYS: Record<CacheDirection, Record<string, string[]>> = {
  to: {
    registry: ["ref", "registry.insecure", ...COMMON_EXPORT],
    local: ["dest", "tag", ...COMMON_EXPORT],
    inline: ["mode", "ignore-error"],
  },
  from: {
    registry: ["ref", "registry.insecure"],
    local: ["src", "tag", "digest"],
  },
};

function flag(direction: CacheDirection): string {
  return direction === "to" ? "--cache-to" : "--cache-from";
}

/** Splits a CSV record as Go's csv reader does (as buildx). */
function splitCsv(value: string, direction: CacheDirection): string[] {
  try {
    return splitCsvRecord(value);
  } catch (err) {
    if (err instanceof CsvError) throw new CacheSpecError(`${flag(direction)}: ${err.message}`);
    throw err;
  }
}

/** Go's `strconv.ParseBool`. */
function parseBool(key: string, value: string, direction: CacheDirection): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  throw new CacheSpecError(
    `${flag(direction)}: invalid boolean for ${key}: ${JSON.stringify(value)}`,
  );
}

function parseMode(value: string | undefined, direction: CacheDirection): CacheMode {
  if (value === undefined || value === "" || value === "min") return "min";
  if (value === "max") return "max";
  throw new CacheSpecError(
    `${flag(direction)}: invalid mode ${JSON.stringify(value)}: want min or max`,
  );
}

function compressionOptions(
  attrs: Map<string, string>,
  direction: CacheDirection,
): CacheCompressionOptions {
  const out: CacheCompressionOptions = {};
  const c = attrs.get("compression");
  if (c !== undefined) {
    if (c === "uncompressed" || c === "gzip" || c === "zstd") out.compression = c;
    else if (c === "estargz") {
      throw new CacheSpecError(`${flag(direction)}: compression=estargz is not supported`);
    } else {
      throw new CacheSpecError(
        `${flag(direction)}: invalid compression ${
          JSON.stringify(c)
        }: want uncompressed, gzip or zstd`,
      );
    }
  }
  const level = attrs.get("compression-level");
  if (level !== undefined) {
    if (!/^-?\d+$/.test(level)) {
      throw new CacheSpecError(
        `${flag(direction)}: invalid compression-level ${JSON.stringify(level)}`,
      );
    }
    out.compressionLevel = Number(level);
  }
  const force = attrs.get("force-compression");
  if (force !== undefined && parseBool("force-compression", force, direction)) {
    throw new CacheSpecError(
      `${flag(direction)}: force-compression=true is not supported (layers are exported as stored)`,
    );
  }
  return out;
}

function mediaTypeOptions(
  attrs: Map<string, string>,
  direction: CacheDirection,
): { ociMediaTypes: boolean; imageManifest: boolean } {
  const oci = attrs.has("oci-mediatypes")
    ? parseBool("oci-mediatypes", attrs.get("oci-mediatypes")!, direction)
    : true;
  const image = attrs.has("image-manifest")
    ? parseBool("image-manifest", attrs.get("image-manifest")!, direction)
    : oci;
  if (image && !oci) {
    throw new CacheSpecError(
      `${flag(direction)}: image-manifest=true needs oci-mediatypes=true`,
    );
  }
  return { ociMediaTypes: oci, imageManifest: image };
}

function required(
  attrs: Map<string, string>,
  key: string,
  type: string,
  direction: CacheDirection,
): string {
  const v = attrs.get(key);
  if (v === undefined || v === "") {
    throw new CacheSpecError(`${flag(direction)}: type=${type} requires ${key}=`);
  }
  return v;
}

function fieldsToAttrs(
  fields: string[],
  input: string,
  direction: CacheDirection,
): { type: string; attrs: Map<string, string> } {
  let type = "";
  const attrs = new Map<string, string>();
  for (const field of fields) {
    const eq = field.indexOf("=");
    if (eq < 0) throw new CacheSpecError(`${flag(direction)}: invalid value ${field}`);
    const key = field.slice(0, eq).toLowerCase();
    const value = field.slice(eq + 1);
    if (key === "type") type = value;
    else attrs.set(key, value);
  }
  if (type === "") {
    throw new CacheSpecError(`${flag(direction)}: type required for ${JSON.stringify(input)}`);
  }
  return { type, attrs };
}

function checkType(type: string, direction: CacheDirection): void {
  if (SUPPORTED[direction].includes(type)) return;
  if (direction === "from" && type === "inline") {
    throw new CacheSpecError(
      "--cache-from: type=inline is export-only; import an inline cache with type=registry,ref=IMAGE",
    );
  }
  if (TYPES.includes(type)) {
    throw new CacheSpecError(
      `${flag(direction)}: cache type ${JSON.stringify(type)} is not supported`,
    );
  }
  throw new CacheSpecError(
    withSuggestion(
      `${flag(direction)}: unknown cache type ${JSON.stringify(type)} (want ${
        SUPPORTED[direction].join(", ")
      })`,
      suggest(type, SUPPORTED[direction]),
    ),
  );
}

function checkKeys(type: string, attrs: Map<string, string>, direction: CacheDirection): void {
  const known = KEYS[direction][type]!;
  for (const key of attrs.keys()) {
    if (known.includes(key)) continue;
    if (type === "local" && (key === "dest" || key === "src")) {
      throw new CacheSpecError(
        `${flag(direction)}: unknown key "${key}" for type=local (${
          direction === "from" ? "--cache-from reads src=" : "--cache-to writes dest="
        })`,
      );
    }
    throw new CacheSpecError(
      withSuggestion(
        `${flag(direction)}: unknown key ${JSON.stringify(key)} for type=${type}`,
        suggest(key, known),
      ),
    );
  }
}

/**
 * Parses one `--cache-to` value.
 *
 * @throws {CacheSpecError} for a missing type, an unknown type or key, a bad value.
 *
 * @example
 * ```ts
 * import { parseCacheExportSpec } from "./specs.ts";
 * const spec = parseCacheExportSpec("type=registry,ref=127.0.0.1:5000/app:cache,mode=max");
 * console.assert(spec.type === "registry" && spec.mode === "max");
 * ```
 */
export function parseCacheExportSpec(value: string): CacheExportSpec {
  const fields = splitCsv(value, "to");
  const { type, attrs } = fields.length === 1 && !fields[0]!.includes("=")
    ? { type: "registry", attrs: new Map([["ref", fields[0]!]]) }
    : fieldsToAttrs(fields, value, "to");
  checkType(type, "to");
  checkKeys(type, attrs, "to");
  const ignoreError = attrs.has("ignore-error")
    ? parseBool("ignore-error", attrs.get("ignore-error")!, "to")
    : false;
  const mode = parseMode(attrs.get("mode"), "to");
  if (type === "inline") {
    if (mode !== "min") throw new CacheSpecError("--cache-to: type=inline supports only mode=min");
    return { type, ignoreError };
  }
  const media = mediaTypeOptions(attrs, "to");
  const compression = compressionOptions(attrs, "to");
  if (type === "registry") {
    const insecure = attrs.has("registry.insecure")
      ? parseBool("registry.insecure", attrs.get("registry.insecure")!, "to")
      : false;
    return {
      type,
      ref: required(attrs, "ref", type, "to"),
      mode,
      ...media,
      ignoreError,
      insecure,
      ...compression,
    };
  }
  return {
    type: "local",
    dest: required(attrs, "dest", type, "to"),
    tag: attrs.get("tag") || "latest",
    mode,
    ...media,
    ignoreError,
    ...compression,
  };
}

function parseOneImport(value: string): CacheImportSpec {
  const fields = splitCsv(value, "from");
  if (fields.length === 1 && !fields[0]!.includes("=")) {
    return { type: "registry", ref: fields[0]!, insecure: false };
  }
  const { type, attrs } = fieldsToAttrs(fields, value, "from");
  checkType(type, "from");
  checkKeys(type, attrs, "from");
  if (type === "registry") {
    const insecure = attrs.has("registry.insecure")
      ? parseBool("registry.insecure", attrs.get("registry.insecure")!, "from")
      : false;
    return { type, ref: required(attrs, "ref", type, "from"), insecure };
  }
  const digest = attrs.get("digest");
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new CacheSpecError(`--cache-from: invalid digest ${JSON.stringify(digest)}`);
  }
  return {
    type: "local",
    src: required(attrs, "src", type, "from"),
    tag: attrs.get("tag") || "latest",
    ...(digest !== undefined ? { digest } : {}),
  };
}

/**
 * Parses one `--cache-from` value; a value without `=` names registry
 * references, one per CSV field (`a:cache,b:cache` gives two entries).
 *
 * @throws {CacheSpecError} for a missing type, an unknown type or key, a bad value.
 *
 * @example
 * ```ts
 * import { parseCacheImportSpecs } from "./specs.ts";
 * const specs = parseCacheImportSpecs("type=local,src=/tmp/cache");
 * console.assert(specs[0]?.type === "local" && specs[0].tag === "latest");
 * ```
 */
export function parseCacheImportSpecs(value: string): CacheImportSpec[] {
  if (value === "") return [];
  if (!value.includes("=")) {
    return splitCsv(value, "from").filter((f) => f !== "").map((f) => parseOneImport(f));
  }
  return [parseOneImport(value)];
}
