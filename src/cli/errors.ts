// Copyright 2026 the buildkit-ts authors. MIT license.

/** A mistake in how the command was called (unknown flag, missing argument); exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A feature the CLI knows of but does not do yet; says so instead of ignoring it. */
export class NotImplementedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotImplementedError";
  }
}
