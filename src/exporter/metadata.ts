// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * What a build reports about its exported image: BuildKit's exporter
 * response keys, the `--metadata-file` JSON buildx writes from them, and the
 * `--iidfile` content.
 *
 * Rules (buildx `commands/build.go`): the metadata file holds every response
 * key; a value that decodes from base64 to a non-empty JSON object (the
 * descriptor) is embedded as that object, others stay strings; two-space
 * indent, keys sorted. The image ID is `containerimage.config.digest` when
 * present (every single-platform image export, the docker exporter included),
 * else `containerimage.digest` (the index digest of a multi-platform build).
 * buildx refuses `--iidfile` with the local and tar outputs.
 *
 * @module
 */

import type { Descriptor } from "../oci/mod.ts";
import { byteCompare, goJsonText } from "./_io.ts";
import { goDescriptor } from "./layout.ts";

/** Response key: digest of the exported manifest or index. */
export const KEY_IMAGE_DIGEST = "containerimage.digest";
/** Response key: digest of the image config (single-platform images). */
export const KEY_CONFIG_DIGEST = "containerimage.config.digest";
/** Response key: base64 JSON of the exported descriptor. */
export const KEY_DESCRIPTOR = "containerimage.descriptor";
/** Response key: comma-separated normalized image names. */
export const KEY_IMAGE_NAME = "image.name";

/** Input of {@linkcode exporterResponse}. */
export interface ExporterResponseInput {
  /** The exported manifest or index descriptor (as written into `index.json`, before names). */
  descriptor: Descriptor;
  /** Config digest, for a single-platform image. */
  configDigest?: string;
  /** Normalized names (`docker.io/library/app:1`). */
  names?: readonly string[];
}

function toBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/**
 * BuildKit's exporter response for an image export.
 *
 * @example
 * ```ts
 * import { exporterResponse } from "./metadata.ts";
 * const r = exporterResponse({ descriptor: { mediaType: "m", digest: "sha256:1" as never, size: 1 }, names: ["a", "b"] });
 * console.assert(r["containerimage.digest"] === "sha256:1" && r["image.name"] === "a,b");
 * ```
 */
export function exporterResponse(input: ExporterResponseInput): Record<string, string> {
  const out: Record<string, string> = { [KEY_IMAGE_DIGEST]: input.descriptor.digest };
  if (input.configDigest !== undefined) out[KEY_CONFIG_DIGEST] = input.configDigest;
  out[KEY_DESCRIPTOR] = toBase64(goJsonText(goDescriptor(input.descriptor)));
  if (input.names !== undefined && input.names.length > 0) {
    out[KEY_IMAGE_NAME] = input.names.join(",");
  }
  return out;
}

function decodeJsonValue(value: string): unknown {
  if (value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined;
  let text: string;
  try {
    const bin = atob(value);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) {
      if (Array.isArray(parsed)) {
        const objects = parsed.length > 0 &&
          parsed.every((v) => typeof v === "object" && v !== null && !Array.isArray(v));
        return objects ? parsed : undefined;
      }
      return Object.keys(parsed).length > 0 ? parsed : undefined;
    }
  } catch {
    // not JSON: kept as a string
  }
  return undefined;
}

/**
 * The `--metadata-file` text: the exporter response decoded as buildx does,
 * plus `extra` keys (e.g. `buildx.build.ref`), sorted, two-space indented.
 *
 * @example
 * ```ts
 * import { exporterResponse, metadataFileText } from "./metadata.ts";
 * const r = exporterResponse({ descriptor: { mediaType: "m", digest: "sha256:1" as never, size: 1 } });
 * const md = JSON.parse(metadataFileText(r));
 * console.assert(md["containerimage.descriptor"].size === 1);
 * ```
 */
export function metadataFileText(
  response: Readonly<Record<string, string>>,
  extra: Readonly<Record<string, unknown>> = {},
): string {
  const merged: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(response)) merged[k] = decodeJsonValue(v) ?? v;
  Object.assign(merged, extra);
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(merged).sort(byteCompare)) sorted[k] = merged[k];
  return goJsonText(sorted, "  ");
}

/**
 * The `--iidfile` content: the config digest when the response has one, else
 * the image (index) digest; empty when neither is known.
 *
 * @example
 * ```ts
 * import { imageIdFileText } from "./metadata.ts";
 * console.assert(imageIdFileText({ "containerimage.digest": "sha256:m", "containerimage.config.digest": "sha256:c" }) === "sha256:c");
 * ```
 */
export function imageIdFileText(response: Readonly<Record<string, string>>): string {
  return response[KEY_CONFIG_DIGEST] ?? response[KEY_IMAGE_DIGEST] ?? "";
}
