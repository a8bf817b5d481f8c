// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Shared zod pieces and the step that turns zod issues into an
 * {@link OciValidationError}. Private to src/oci.
 *
 * @module
 */

import { z } from "zod";
import { type OciIssue, OciValidationError } from "./errors.ts";
import { parseDigest } from "./digest.ts";

/** Formats a zod issue path as `a.b[0].c` (keys with dots are quoted). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else {
      const key = String(part);
      if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) out += out === "" ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** Turns zod issues into ours, flattening union branches to the most specific ones. */
export function toIssues(
  issues: readonly z.core.$ZodIssue[],
  base: PropertyKey[] = [],
): OciIssue[] {
  const out: OciIssue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    out.push({ path: formatPath(path), message: issue.message });
  }
  return out;
}

/** Validates `value` with `schema`; returns `value` itself (key order kept) or throws. */
export function check<T>(schema: z.ZodType, value: unknown, document: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new OciValidationError(document, toIssues(result.error.issues));
  }
  return value as T;
}

/** Parses JSON text (string or UTF-8 bytes), reporting syntax errors as a validation error. */
export function parseJsonText(input: string | Uint8Array, document: string): unknown {
  const text = typeof input === "string" ? input : new TextDecoder("utf-8", { fatal: false })
    .decode(input);
  try {
    return JSON.parse(text);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new OciValidationError(document, [{ path: "", message: `not JSON: ${why}` }], {
      cause,
    });
  }
}

/** A digest string, checked with {@link parseDigest}. */
export const digestString = z.string().superRefine((s, ctx) => {
  try {
    parseDigest(s);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: e instanceof Error ? e.message : String(e) });
  }
});

// RFC 6838 restricted names, as the OCI spec's descriptor.md requires.
const MEDIA_TYPE_RE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** A media type string (`type/subtype`, RFC 6838 characters). */
export const mediaTypeString = z.string().regex(MEDIA_TYPE_RE, {
  message: "must be a media type like type/subtype",
});

/** A string → string map (annotations, labels). */
export const stringMap = z.record(z.string(), z.string());

/** A non-negative integer that fits a Go int64 without losing precision in JS. */
export const sizeNumber = z.number().int().nonnegative();
