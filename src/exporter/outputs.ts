// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * `-o/--output` specs, parsed as `docker buildx build` parses them (CSV
 * fields, keys lower-cased, shorthand `-o DIR` = local and `-o -` = tar to
 * stdout) and checked as BuildKit's exporters check their attributes. Unlike
 * BuildKit, which silently keeps unknown attributes, an unknown key is an
 * error that names it.
 *
 * @module
 */

import { CsvError, splitCsv as splitCsvRecord } from "../util/mod.ts";
import { formatPlatform, type OciPlatform, parsePlatform, platformFromOci } from "../oci/mod.ts";
import { OutputNotImplementedError, OutputSpecError } from "./errors.ts";
import type { ManifestAnnotations } from "./image.ts";
import { parseSourceDateEpoch } from "./time.ts";

/** Layer compression accepted by `compression=`. */
export type OutputCompression = "uncompressed" | "gzip" | "zstd";

/** Where an annotation goes (BuildKit's `annotation[-<type>][<platform>].<key>=<value>`). */
export type AnnotationTarget = "manifest" | "manifest-descriptor" | "index" | "index-descriptor";

/** One parsed annotation attribute. */
export interface AnnotationSpec {
  /** Where it goes; plain `annotation.` means `manifest`. */
  target: AnnotationTarget;
  /** Normalized platform (`linux/arm64`) it is limited to, if any. */
  platform?: string;
  /** Annotation key. */
  key: string;
  /** Annotation value. */
  value: string;
}

/** Image options shared by the `oci` and `docker` outputs. */
export interface ImageOutputOptions {
  /** `name=` values (comma-separated list, kept as written). */
  names: string[];
  /** `oci-mediatypes=`; `undefined` means the exporter default (OCI). */
  ociMediaTypes?: boolean;
  /** `oci-artifact=` (attestation manifests as OCI artifacts). */
  ociArtifact?: boolean;
  /** `compression=` (default gzip). */
  compression: OutputCompression;
  /** `compression-level=`. */
  compressionLevel?: number;
  /** `force-compression=`: recompress layers already stored in another compression. */
  forceCompression: boolean;
  /** `rewrite-timestamp=`: clamp file times inside layers to the epoch. */
  rewriteTimestamp: boolean;
  /** `source-date-epoch=` (seconds). */
  sourceDateEpoch?: number;
  /** `annotation*` attributes. */
  annotations: AnnotationSpec[];
}

/** A parsed `-o` spec. */
export type OutputSpec =
  | {
    /** OCI layout, tarball or directory. */
    type: "oci";
    /** File, `-` (stdout) or directory (`tar: false`). */
    dest: string;
    /** Tarball (default) or directory. */
    tar: boolean;
    /** Image options. */
    image: ImageOutputOptions;
  }
  | {
    /** `docker load` tarball. */
    type: "docker";
    /** File or `-` (stdout). */
    dest: string;
    /** Always true for this exporter. */
    tar: true;
    /** Image options. */
    image: ImageOutputOptions;
  }
  | {
    /** Files into a directory. */
    type: "local";
    /** The directory. */
    dest: string;
    /** `source-date-epoch=`. */
    sourceDateEpoch?: number;
    /** `platform-split=`. */
    platformSplit?: boolean;
    /** `mode=copy|delete` (delete: remove files not in the result). */
    mode: "copy" | "delete";
  }
  | {
    /** Files as one tar. */
    type: "tar";
    /** File or `-` (stdout). */
    dest: string;
    /** `source-date-epoch=`. */
    sourceDateEpoch?: number;
    /** `platform-split=`. */
    platformSplit?: boolean;
  }
  | {
    /** Build without exporting (result stays in the cache). */
    type: "cacheonly";
  }
  | {
    /** The image store under `name=`, pushed to the registry with `push=true` (`type=registry`). */
    type: "image";
    push: boolean;
    /** `registry.insecure=true`: plain HTTP or an untrusted certificate is fine for this registry. */
    insecure: boolean;
    image: ImageOutputOptions;
  };

/**
 * Splits one CSV record (Go `encoding/csv`, as buildx uses): fields separated
 * by commas, a field may be double-quoted with `""` for a quote.
 *
 * @throws {OutputSpecError} for a stray or unterminated quote.
 *
 * @example
 * ```ts
 * import { splitCsv } from "./outputs.ts";
 * console.assert(splitCsv('type=oci,"name=a,b"').join("|") === "type=oci|name=a,b");
 * ```
 */
export function splitCsv(text: string): string[] {
  try {
    return splitCsvRecord(text);
  } catch (err) {
    if (err instanceof CsvError) {
      throw new OutputSpecError(`invalid output spec ${JSON.stringify(text)}: ${err.reason}`, text);
    }
    throw err;
  }
}

/**
 * Parses a boolean as Go's `strconv.ParseBool`.
 *
 * @example
 * ```ts
 * import { parseGoBool } from "./outputs.ts";
 * console.assert(parseGoBool("T") === true && parseGoBool("0") === false && parseGoBool("yes") === undefined);
 * ```
 */
export function parseGoBool(value: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}

function boolAttr(spec: string, key: string, value: string, emptyIs?: boolean): boolean {
  if (value === "" && emptyIs !== undefined) return emptyIs;
  const b = parseGoBool(value);
  if (b === undefined) {
    throw new OutputSpecError(`non-bool value ${JSON.stringify(value)} specified for ${key}`, spec);
  }
  return b;
}

const ANNOTATION_KEY = /^annotation(?:-([a-z-]+))?(?:\[([A-Za-z0-9_/-]+)\])?\.(\S+)$/;

/**
 * Parses one annotation attribute key (`annotation.k`, `annotation-index.k`,
 * `annotation-manifest[linux/arm64].k`, …); `undefined` when the key is not an
 * annotation.
 *
 * @throws {OutputSpecError} for an unknown annotation type or a bad platform.
 *
 * @example
 * ```ts
 * import { parseAnnotationKey } from "./outputs.ts";
 * console.assert(parseAnnotationKey("annotation.a", "v")?.target === "manifest");
 * ```
 */
export function parseAnnotationKey(key: string, value: string): AnnotationSpec | undefined {
  const m = ANNOTATION_KEY.exec(key);
  if (m === null) return undefined;
  const type = m[1] ?? "";
  const targets: readonly string[] = [
    "manifest",
    "manifest-descriptor",
    "index",
    "index-descriptor",
  ];
  if (type !== "" && !targets.includes(type)) {
    throw new OutputSpecError(`unrecognized annotation type ${type}`, `${key}=${value}`);
  }
  const spec: AnnotationSpec = {
    target: (type === "" ? "manifest" : type) as AnnotationTarget,
    key: m[3]!,
    value,
  };
  if (m[2] !== undefined) {
    try {
      spec.platform = formatPlatform(parsePlatform(m[2]));
    } catch (e) {
      throw new OutputSpecError(
        `invalid platform ${JSON.stringify(m[2])} in ${key}: ${e instanceof Error ? e.message : e}`,
        `${key}=${value}`,
      );
    }
  }
  return spec;
}

/**
 * Keys BuildKit's image exporters accept that change nothing here: `unpack` (a
 * containerd snapshotter), `attestation-inline` (no attestations are made) and
 * `prefer-nondist-layers` (foreign layers are never fetched).
 */
const IGNORED_IMAGE_KEYS = new Set(["unpack", "attestation-inline", "prefer-nondist-layers"]);

/** Keys that would change the output but are not implemented: refused, never ignored. */
const UNSUPPORTED_IMAGE_KEYS = new Set([
  "push-by-digest",
  "store",
  "dangling-name-prefix",
  "danging-name-empty-only",
  "name-canonical",
]);

function parseImageAttrs(
  spec: string,
  type: "oci" | "docker" | "image",
  attrs: ReadonlyMap<string, string>,
): { image: ImageOutputOptions; tar: boolean; push: boolean; insecure: boolean } {
  const image: ImageOutputOptions = {
    names: [],
    compression: "gzip",
    forceCompression: false,
    rewriteTimestamp: false,
    annotations: [],
  };
  let tar = true;
  let push = false;
  let insecure = false;
  for (const [key, value] of attrs) {
    const annotation = parseAnnotationKey(key, value);
    if (annotation !== undefined) {
      image.annotations.push(annotation);
      continue;
    }
    switch (key) {
      case "name":
        image.names.push(...value.split(",").filter((n) => n !== ""));
        break;
      case "push":
        push = boolAttr(spec, key, value, true);
        if (push && type !== "image") {
          throw new OutputSpecError(
            `push=true needs type=image or type=registry, not ${type}`,
            spec,
          );
        }
        break;
      case "registry.insecure":
        insecure = boolAttr(spec, key, value, true);
        break;
      case "tar":
        if (type === "docker") {
          if (!boolAttr(spec, key, value, true)) {
            throw new OutputSpecError("tar=false is not supported by the docker exporter", spec);
          }
        } else {
          tar = boolAttr(spec, key, value, true);
        }
        break;
      case "oci-mediatypes":
        image.ociMediaTypes = boolAttr(spec, key, value);
        break;
      case "oci-artifact":
        image.ociArtifact = boolAttr(spec, key, value);
        break;
      case "compression":
        if (value === "uncompressed" || value === "gzip" || value === "zstd") {
          image.compression = value;
        } else if (value === "estargz") {
          throw new OutputNotImplementedError(
            `${type},compression=estargz`,
            "estargz layers come later",
          );
        } else {
          throw new OutputSpecError(`unsupported compression type ${value}`, spec);
        }
        break;
      case "compression-level": {
        if (!/^[+-]?\d+$/.test(value)) {
          throw new OutputSpecError(
            `non-integer value ${value} specified for compression-level`,
            spec,
          );
        }
        image.compressionLevel = Number(value);
        break;
      }
      case "force-compression":
        image.forceCompression = boolAttr(spec, key, value, true);
        break;
      case "rewrite-timestamp":
        image.rewriteTimestamp = boolAttr(spec, key, value);
        break;
      case "source-date-epoch": {
        const epoch = parseSourceDateEpoch(value, key);
        if (epoch !== undefined) image.sourceDateEpoch = epoch;
        break;
      }
      default:
        if (UNSUPPORTED_IMAGE_KEYS.has(key)) {
          throw new OutputNotImplementedError(
            `${type},${key}=${value}`,
            `${key} is not supported yet`,
          );
        }
        if (!IGNORED_IMAGE_KEYS.has(key)) {
          throw new OutputSpecError(
            `unknown key ${JSON.stringify(key)} for the ${type} output`,
            spec,
          );
        }
    }
  }
  if (image.compression === "zstd") {
    if (image.ociMediaTypes === false) {
      throw new OutputSpecError(
        'exporter option "compression=zstd" conflicts with "oci-mediatypes=false"',
        spec,
      );
    }
    image.ociMediaTypes = true;
  }
  if (image.ociArtifact === true && image.ociMediaTypes === false) {
    throw new OutputSpecError(
      'exporter option "oci-artifact=true" conflicts with "oci-mediatypes=false"',
      spec,
    );
  }
  if (image.ociMediaTypes === false) {
    const bad = image.annotations.find((a) => a.target !== "manifest");
    if (bad !== undefined) {
      throw new OutputSpecError('cannot export annotations with "oci-mediatypes=false"', spec);
    }
  }
  return { image, tar, push, insecure };
}

function parseFsAttrs(
  spec: string,
  type: "local" | "tar",
  attrs: ReadonlyMap<string, string>,
): { sourceDateEpoch?: number; platformSplit?: boolean; mode: "copy" | "delete" } {
  const out: { sourceDateEpoch?: number; platformSplit?: boolean; mode: "copy" | "delete" } = {
    mode: "copy",
  };
  for (const [key, value] of attrs) {
    switch (key) {
      case "source-date-epoch": {
        const epoch = parseSourceDateEpoch(value, key);
        if (epoch !== undefined) out.sourceDateEpoch = epoch;
        break;
      }
      case "platform-split":
        out.platformSplit = boolAttr(spec, key, value);
        break;
      case "attestation-prefix":
        break;
      case "mode":
        if (type === "local" && (value === "copy" || value === "delete")) {
          out.mode = value;
          break;
        }
        if (type === "local") {
          throw new OutputSpecError(
            `invalid local exporter mode ${JSON.stringify(value)} (want copy or delete)`,
            spec,
          );
        }
        throw new OutputSpecError(`unknown key "mode" for the tar output`, spec);
      default:
        throw new OutputSpecError(
          `unknown key ${JSON.stringify(key)} for the ${type} output`,
          spec,
        );
    }
  }
  return out;
}

/**
 * Parses one `-o/--output` value.
 *
 * @throws {OutputSpecError} for a malformed spec, a missing type or dest, an
 * unknown key or a bad value (the message names it).
 * @throws {OutputNotImplementedError} for `type=image`, `type=registry`,
 * `push=true` and `type=docker` without `dest` (loading into a daemon).
 *
 * @example
 * ```ts
 * import { parseOutput } from "./outputs.ts";
 * const o = parseOutput("type=oci,dest=out.tar,name=app:1");
 * console.assert(o.type === "oci" && o.tar && o.image.names[0] === "app:1");
 * console.assert(parseOutput("out").type === "local");
 * console.assert(parseOutput("-").type === "tar");
 * ```
 */
export function parseOutput(spec: string): OutputSpec {
  const fields = splitCsv(spec);
  if (fields.length === 1 && fields[0] === spec && !spec.startsWith("type=")) {
    if (spec === "-") return { type: "tar", dest: "-" };
    return { type: "local", dest: spec, mode: "copy" };
  }
  let type = "";
  let dest = "";
  const attrs = new Map<string, string>();
  for (const field of fields) {
    const eq = field.indexOf("=");
    if (eq < 0) throw new OutputSpecError(`invalid value ${field}`, spec);
    const key = field.slice(0, eq).trim().toLowerCase();
    const value = field.slice(eq + 1);
    if (key === "type") type = value;
    else if (key === "dest") dest = value;
    else attrs.set(key, value);
  }
  switch (type) {
    case "":
      throw new OutputSpecError("type is required for output", spec);
    case "oci":
    case "docker": {
      const { image, tar } = parseImageAttrs(spec, type, attrs);
      if (type === "docker") {
        // No dest: load into the Docker daemon (buildx's --load).
        return { type, dest, tar: true, image };
      }
      if (!tar) {
        if (dest === "") throw new OutputSpecError("dest is required for oci exporter", spec);
        if (dest === "-") throw new OutputSpecError("dest cannot be stdout for oci exporter", spec);
      }
      return { type, dest: dest === "" ? "-" : dest, tar, image };
    }
    case "local": {
      const fsAttrs = parseFsAttrs(spec, "local", attrs);
      if (dest === "") throw new OutputSpecError("dest is required for local exporter", spec);
      if (dest === "-") throw new OutputSpecError("dest cannot be stdout for local exporter", spec);
      return { type, dest, ...fsAttrs };
    }
    case "tar": {
      const { mode: _mode, ...fsAttrs } = parseFsAttrs(spec, "tar", attrs);
      return { type, dest: dest === "" ? "-" : dest, ...fsAttrs };
    }
    case "cacheonly":
      if (attrs.size > 0) {
        throw new OutputSpecError(
          `unknown key ${JSON.stringify([...attrs.keys()][0])} for the cacheonly output`,
          spec,
        );
      }
      return { type };
    case "image":
    case "registry": {
      // type=registry is type=image,push=true (as buildx).
      const { image, push, insecure } = parseImageAttrs(spec, "image", attrs);
      if (image.names.length === 0) {
        throw new OutputSpecError(`name= is required for the ${type} output`, spec);
      }
      return { type: "image", push: type === "registry" || push, insecure, image };
    }
    case "moby":
      throw new OutputNotImplementedError(
        type,
        "use type=docker (with no dest, --load) to load into a Docker daemon",
      );
    default:
      throw new OutputSpecError(
        `unknown output type ${
          JSON.stringify(type)
        } (supported: oci, docker, local, tar, cacheonly)`,
        spec,
      );
  }
}

/**
 * Parses every `-o` value; empty values are skipped. At most one output may
 * write to stdout.
 *
 * @throws {OutputSpecError} as {@linkcode parseOutput}, or for two stdout outputs.
 *
 * @example
 * ```ts
 * import { parseOutputs } from "./outputs.ts";
 * console.assert(parseOutputs(["type=tar,dest=a.tar", ""]).length === 1);
 * ```
 */
export function parseOutputs(specs: readonly string[]): OutputSpec[] {
  const out: OutputSpec[] = [];
  let stdout = false;
  for (const spec of specs) {
    if (spec === "") continue;
    const o = parseOutput(spec);
    if ("dest" in o && o.dest === "-" && (o.type !== "oci" || o.tar)) {
      if (stdout) throw new OutputSpecError("multiple outputs configured to write to stdout", spec);
      stdout = true;
    }
    out.push(o);
  }
  return out;
}

/** Annotations of one build, split by where they go. */
export interface ResolvedAnnotations extends ManifestAnnotations {
  /** Annotations inside the index. */
  index: Record<string, string>;
  /** Annotations on the index descriptor. */
  indexDescriptor: Record<string, string>;
  /** Manifest annotations. */
  manifest: Record<string, string>;
  /** Manifest-descriptor annotations. */
  manifestDescriptor: Record<string, string>;
}

/**
 * The annotations that apply to one platform's image (platform-less ones plus
 * those for that platform), as BuildKit's `AnnotationsGroup.Platform`.
 *
 * @example
 * ```ts
 * import { annotationsFor, parseOutput } from "./outputs.ts";
 * const o = parseOutput("type=oci,dest=x.tar,annotation-manifest[linux/amd64].a=1,annotation.b=2");
 * if (o.type === "oci") {
 *   const a = annotationsFor(o.image.annotations, { os: "linux", architecture: "amd64" });
 *   console.assert(a.manifest.a === "1" && a.manifest.b === "2");
 * }
 * ```
 */
export function annotationsFor(
  specs: readonly AnnotationSpec[],
  platform?: OciPlatform,
): ResolvedAnnotations {
  const out: ResolvedAnnotations = {
    index: {},
    indexDescriptor: {},
    manifest: {},
    manifestDescriptor: {},
  };
  const want = platform === undefined ? undefined : formatPlatform(platformFromOci(platform));
  for (const a of specs) {
    if (a.target === "index") out.index[a.key] = a.value;
    else if (a.target === "index-descriptor") out.indexDescriptor[a.key] = a.value;
    else if (a.platform === undefined || a.platform === want) {
      if (a.target === "manifest") out.manifest[a.key] = a.value;
      else out.manifestDescriptor[a.key] = a.value;
    }
  }
  return out;
}
