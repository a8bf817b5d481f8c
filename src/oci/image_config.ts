// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The image config blob (OCI `application/vnd.oci.image.config.v1+json`,
 * Docker `application/vnd.docker.container.image.v1+json`) with the Docker
 * extensions BuildKit writes (Healthcheck, OnBuild, Shell), its schema, and
 * serialization byte-compatible with BuildKit.
 *
 * How BuildKit's bytes come about (checked against the compatibility goldens):
 * the Dockerfile frontend marshals `dockerspec.DockerOCIImage` (Go struct
 * order, `omitempty`, unknown fields dropped), then the image exporter
 * (`exporter/containerimage/writer.go` `patchImageConfig`) decodes the
 * top level into a `map[string]json.RawMessage`, rewrites `rootfs`,
 * `history` and `created`, and marshals the map again. So the top-level keys
 * come out **sorted**, nested values (notably `config`) keep the bytes they
 * had, `history` entries and `rootfs` are in struct order, and the result is
 * compact JSON without a trailing newline.
 *
 * @module
 */

import { z } from "zod";
import type { DiffId } from "./digest.ts";
import { check, digestString, parseJsonText, stringMap } from "./_schema.ts";
import { goJson, goStringCompare, goTimeString, sortedMap } from "./_go_json.ts";

/** HEALTHCHECK settings; durations are integer nanoseconds (Go `time.Duration`). */
export interface HealthcheckConfig {
  /** `["NONE"]`, `["CMD", …]` or `["CMD-SHELL", "…"]`. */
  Test?: string[] | null;
  /** Time between checks (ns). */
  Interval?: number;
  /** Time before a check is considered hung (ns). */
  Timeout?: number;
  /** Start period (ns). */
  StartPeriod?: number;
  /** Check interval during the start period (ns). */
  StartInterval?: number;
  /** Consecutive failures needed to report unhealthy. */
  Retries?: number;
}

/** The runtime part of the image config (`config`), as docker-image-spec defines it. */
export interface ContainerConfig {
  /** USER. */
  User?: string;
  /** EXPOSE: `"80/tcp": {}`. */
  ExposedPorts?: Record<string, Record<string, never>> | null;
  /** ENV as `KEY=value`. */
  Env?: string[] | null;
  /** ENTRYPOINT. */
  Entrypoint?: string[] | null;
  /** CMD. */
  Cmd?: string[] | null;
  /** VOLUME: `"/data": {}`. */
  Volumes?: Record<string, Record<string, never>> | null;
  /** WORKDIR. */
  WorkingDir?: string;
  /** LABEL. */
  Labels?: Record<string, string> | null;
  /** STOPSIGNAL. */
  StopSignal?: string;
  /** Whether Cmd/Entrypoint are already escaped (Windows). */
  ArgsEscaped?: boolean;
  /** HEALTHCHECK. */
  Healthcheck?: HealthcheckConfig | null;
  /** ONBUILD triggers, as source lines. */
  OnBuild?: string[] | null;
  /** SHELL. */
  Shell?: string[] | null;
}

/** One history entry. */
export interface History {
  /** RFC 3339 time. */
  created?: string;
  /** The command that made the layer. */
  created_by?: string;
  /** Author. */
  author?: string;
  /** Comment, e.g. `buildkit.dockerfile.v0`. */
  comment?: string;
  /** True when the step made no layer. */
  empty_layer?: boolean;
}

/** The layer chain of an image. */
export interface RootFs {
  /** Always `layers`. */
  type: "layers";
  /** Uncompressed layer digests, base first (`null` only in Go output for no layers). */
  diff_ids: DiffId[] | null;
}

/** An image config. Unknown fields (e.g. Docker's `container_config`) survive parsing at run time. */
export interface ImageConfig {
  /** Creation time, RFC 3339. */
  created?: string;
  /** Author. */
  author?: string;
  /** CPU architecture. */
  architecture: string;
  /** Operating system. */
  os: string;
  /** OS version (Windows). */
  "os.version"?: string;
  /** OS features (Windows). */
  "os.features"?: string[];
  /** CPU variant. */
  variant?: string;
  /** Runtime defaults. */
  config?: ContainerConfig | null;
  /** Layer chain. */
  rootfs: RootFs;
  /** History, base first. */
  history?: History[] | null;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const time = z.string().regex(RFC3339, { message: "must be an RFC 3339 time" });
const stringList = z.array(z.string()).nullable().optional();
const emptyObjectMap = z.record(z.string(), z.looseObject({}).nullable()).nullable().optional();
const int = z.number().int();

/** Zod schema for {@link HealthcheckConfig}. */
export const healthcheckSchema = z.looseObject({
  Test: stringList,
  Interval: int.optional(),
  Timeout: int.optional(),
  StartPeriod: int.optional(),
  StartInterval: int.optional(),
  Retries: int.optional(),
});

/** Zod schema for {@link ContainerConfig} (unknown legacy fields allowed). */
export const containerConfigSchema = z.looseObject({
  User: z.string().optional(),
  ExposedPorts: emptyObjectMap,
  Env: stringList,
  Entrypoint: stringList,
  Cmd: stringList,
  Volumes: emptyObjectMap,
  WorkingDir: z.string().optional(),
  Labels: stringMap.nullable().optional(),
  StopSignal: z.string().optional(),
  ArgsEscaped: z.boolean().optional(),
  Healthcheck: healthcheckSchema.nullable().optional(),
  OnBuild: stringList,
  Shell: stringList,
});

/** Zod schema for {@link History}. */
export const historySchema = z.looseObject({
  created: time.optional(),
  created_by: z.string().optional(),
  author: z.string().optional(),
  comment: z.string().optional(),
  empty_layer: z.boolean().optional(),
});

/** Zod schema for {@link RootFs}. */
export const rootFsSchema = z.looseObject({
  type: z.literal("layers", { message: 'must be "layers"' }),
  diff_ids: z.array(digestString).nullable(),
});

/** Zod schema for {@link ImageConfig}. */
export const imageConfigSchema = z.looseObject({
  created: time.optional(),
  author: z.string().optional(),
  architecture: z.string(),
  os: z.string(),
  "os.version": z.string().optional(),
  "os.features": z.array(z.string()).optional(),
  variant: z.string().optional(),
  config: containerConfigSchema.nullable().optional(),
  rootfs: rootFsSchema,
  history: z.array(historySchema).nullable().optional(),
});

/**
 * Validates a parsed JSON value as an image config and returns it unchanged
 * (unknown fields and key order kept, so it re-serializes identically).
 *
 * @throws {OciValidationError} naming each bad field path, e.g. `config.Env[0]`.
 *
 * @example
 * ```ts
 * import { validateImageConfigObject } from "./image_config.ts";
 * const c = validateImageConfigObject({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } });
 * console.assert(c.os === "linux");
 * ```
 */
export function validateImageConfigObject(value: unknown): ImageConfig {
  return check<ImageConfig>(imageConfigSchema, value, "image config");
}

/**
 * Parses image config JSON (text or UTF-8 bytes) and validates it.
 *
 * @throws {OciValidationError} for bad JSON or a bad field.
 *
 * @example
 * ```ts
 * import { parseImageConfig } from "./image_config.ts";
 * const c = parseImageConfig('{"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
 * console.assert(c.architecture === "arm64");
 * ```
 */
export function parseImageConfig(input: string | Uint8Array): ImageConfig {
  return validateImageConfigObject(parseJsonText(input, "image config"));
}

function canonicalHistory(h: History): History {
  const out: History = {};
  if (h.created) out.created = goTimeString(h.created);
  if (h.created_by) out.created_by = h.created_by;
  if (h.author) out.author = h.author;
  if (h.comment) out.comment = h.comment;
  if (h.empty_layer) out.empty_layer = true;
  return out;
}

function canonicalRootFs(r: RootFs): RootFs {
  return { type: r.type, diff_ids: r.diff_ids === null ? null : [...r.diff_ids] };
}

/**
 * Serializes an image config exactly as BuildKit's image exporter writes it:
 * compact JSON, top-level keys sorted, `history` entries and `rootfs` in Go
 * struct order with empty fields omitted, `created` times in Go's form, every
 * other value (notably `config`) written with its own key order (as Go
 * re-emits a `json.RawMessage`). Strings are escaped as Go does (`<` →
 * `\u003c`, …). Pass the result of {@link normalizeImageConfig} to get what a
 * Dockerfile build writes.
 *
 * @example
 * ```ts
 * import { serializeImageConfig } from "./image_config.ts";
 * const text = serializeImageConfig({ os: "linux", architecture: "amd64", rootfs: { type: "layers", diff_ids: [] } });
 * console.assert(text === '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
 * ```
 */
export function serializeImageConfig(config: ImageConfig): string {
  const source = config as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source).sort(goStringCompare)) {
    const value = source[key];
    if (value === undefined) continue;
    if (key === "history" && Array.isArray(value)) {
      out[key] = (value as History[]).map(canonicalHistory);
    } else if (key === "rootfs" && typeof value === "object" && value !== null) {
      out[key] = canonicalRootFs(value as RootFs);
    } else if (key === "created" && typeof value === "string") {
      out[key] = goTimeString(value);
    } else {
      out[key] = value;
    }
  }
  return goJson(out);
}

function nonEmpty<T>(list: readonly T[] | null | undefined): list is readonly T[] {
  return list !== null && list !== undefined && list.length > 0;
}

function emptyObjects(
  map: Record<string, unknown> | null | undefined,
): Record<string, Record<string, never>> | undefined {
  if (!map || Object.keys(map).length === 0) return undefined;
  const out: Record<string, Record<string, never>> = {};
  for (const key of Object.keys(map).sort(goStringCompare)) out[key] = {};
  return out;
}

/**
 * Normalizes the runtime config as Go's docker-image-spec struct marshals it:
 * fields in struct order (`User, ExposedPorts, Env, Entrypoint, Cmd, Volumes,
 * WorkingDir, Labels, StopSignal, ArgsEscaped, Healthcheck, OnBuild, Shell`),
 * empty values omitted (`omitempty`), map keys sorted, unknown fields dropped.
 *
 * @example
 * ```ts
 * import { normalizeContainerConfig } from "./image_config.ts";
 * const c = normalizeContainerConfig({ Cmd: ["sh"], Env: ["A=1"], Volumes: null, User: "" });
 * console.assert(Object.keys(c).join() === "Env,Cmd");
 * ```
 */
export function normalizeContainerConfig(config: ContainerConfig): ContainerConfig {
  const out: ContainerConfig = {};
  if (config.User) out.User = config.User;
  const ports = emptyObjects(config.ExposedPorts);
  if (ports) out.ExposedPorts = ports;
  if (nonEmpty(config.Env)) out.Env = [...config.Env];
  if (nonEmpty(config.Entrypoint)) out.Entrypoint = [...config.Entrypoint];
  if (nonEmpty(config.Cmd)) out.Cmd = [...config.Cmd];
  const volumes = emptyObjects(config.Volumes);
  if (volumes) out.Volumes = volumes;
  if (config.WorkingDir) out.WorkingDir = config.WorkingDir;
  if (config.Labels && Object.keys(config.Labels).length > 0) {
    out.Labels = sortedMap(config.Labels);
  }
  if (config.StopSignal) out.StopSignal = config.StopSignal;
  if (config.ArgsEscaped) out.ArgsEscaped = true;
  if (config.Healthcheck) {
    const h = config.Healthcheck;
    const hc: HealthcheckConfig = {};
    if (nonEmpty(h.Test)) hc.Test = [...h.Test];
    if (h.Interval) hc.Interval = h.Interval;
    if (h.Timeout) hc.Timeout = h.Timeout;
    if (h.StartPeriod) hc.StartPeriod = h.StartPeriod;
    if (h.StartInterval) hc.StartInterval = h.StartInterval;
    if (h.Retries) hc.Retries = h.Retries;
    out.Healthcheck = hc;
  }
  if (nonEmpty(config.OnBuild)) out.OnBuild = [...config.OnBuild];
  if (nonEmpty(config.Shell)) out.Shell = [...config.Shell];
  return out;
}

/**
 * Returns the config as BuildKit's Dockerfile frontend re-marshals a base
 * image config (`dockerspec.DockerOCIImage`): only docker-image-spec fields
 * (legacy ones like `container_config` and `Hostname` are dropped), Go
 * struct order, `omitempty` applied, times in Go's form. `config` is always
 * present (Go never omits a struct).
 *
 * @example
 * ```ts
 * import { normalizeImageConfig, serializeImageConfig } from "./image_config.ts";
 * const c = normalizeImageConfig({ os: "linux", architecture: "amd64", rootfs: { type: "layers", diff_ids: [] }, config: { Env: [] } });
 * console.assert(serializeImageConfig(c) === '{"architecture":"amd64","config":{},"os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
 * ```
 */
export function normalizeImageConfig(config: ImageConfig): ImageConfig {
  const out = {} as ImageConfig;
  if (config.created) out.created = goTimeString(config.created);
  if (config.author) out.author = config.author;
  out.architecture = config.architecture;
  out.os = config.os;
  if (config["os.version"]) out["os.version"] = config["os.version"];
  if (nonEmpty(config["os.features"])) out["os.features"] = [...config["os.features"]];
  if (config.variant) out.variant = config.variant;
  out.rootfs = canonicalRootFs(config.rootfs);
  if (nonEmpty(config.history)) out.history = config.history.map(canonicalHistory);
  out.config = normalizeContainerConfig(config.config ?? {});
  return out;
}
