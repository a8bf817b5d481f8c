// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The error thrown when an OCI document (manifest, index, image config) does
 * not match its schema.
 *
 * @module
 */

/** One schema violation: where it is and what is wrong. */
export interface OciIssue {
  /** Field path, e.g. `config.Env[2]` or `layers[0].digest`; empty for the document itself. */
  path: string;
  /** What is wrong at that path. */
  message: string;
}

/**
 * Thrown when a manifest, index, descriptor or image config is malformed. The
 * message names every offending field path.
 *
 * @example
 * ```ts
 * import { OciValidationError } from "./errors.ts";
 * const e = new OciValidationError("image config", [{ path: "os", message: "expected string" }]);
 * console.assert(e.message === "Invalid image config: os: expected string");
 * ```
 */
export class OciValidationError extends Error {
  /** What kind of document was checked, e.g. `image manifest`. */
  readonly document: string;
  /** Every violation found. */
  readonly issues: readonly OciIssue[];

  /** Builds the error from the document kind and its issues. */
  constructor(document: string, issues: readonly OciIssue[], options?: ErrorOptions) {
    const text = issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`))
      .join("; ");
    super(`Invalid ${document}: ${text}`, options);
    this.name = "OciValidationError";
    this.document = document;
    this.issues = issues;
  }
}
