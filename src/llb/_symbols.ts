// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/** Internal method key: applies a file action chain onto a base state's output. */
export const APPLY_FILE_ACTION: unique symbol = Symbol("llb.applyFileAction");
