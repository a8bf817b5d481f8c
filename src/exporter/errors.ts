// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Errors raised by the exporters and by `-o/--output` parsing.
 *
 * @module
 */

/** A bad `-o/--output` spec or exporter attribute (the message names the key or value). */
export class OutputSpecError extends Error {
  /** The offending spec as the user wrote it. */
  readonly spec: string;

  /** Builds the error for `spec`. */
  constructor(message: string, spec: string) {
    super(message);
    this.name = "OutputSpecError";
    this.spec = spec;
  }
}

/** An output type that is valid in BuildKit but not implemented here yet (e.g. registry push). */
export class OutputNotImplementedError extends Error {
  /** The exporter type (`image`, `registry`, …). */
  readonly type: string;

  /** Builds the error for exporter `type`; `detail` says what comes later. */
  constructor(type: string, detail: string) {
    super(`output type=${type} is not implemented yet (${detail})`);
    this.name = "OutputNotImplementedError";
    this.type = type;
  }
}

/** An export that failed (missing blob, digest mismatch while copying, I/O error, …). */
export class ExportError extends Error {
  /** Builds the error; `cause` is kept for callers that unwrap it. */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = "ExportError";
  }
}
