// Copyright 2026 the buildkit-ts authors. MIT license.

import { codeFrame, DockerfileError } from "../dockerfile/mod.ts";

const sources = new WeakMap<object, string>();

/** Remembers the Dockerfile text an error is about, so that its code frame can be printed. */
export function rememberSource(err: object, source: string): void {
  sources.set(err, source);
}

/**
 * Formats an error for the terminal: for a Dockerfile error, `file:line`, a code frame of
 * the lines it is about, then `ERROR: message`; otherwise `ERROR: message` alone.
 */
export function renderError(err: unknown): string {
  if (!(err instanceof Error)) return `ERROR: ${String(err)}\n`;
  let out = "";
  if (err instanceof DockerfileError) {
    const first = err.range[0];
    const where = err.file ?? "Dockerfile";
    if (first) {
      const source = sources.get(err);
      if (source !== undefined) out += codeFrame(source, err.range, { file: where });
      else out += `${where}:${first.start}${first.end !== first.start ? `-${first.end}` : ""}\n`;
      if (!out.endsWith("\n")) out += "\n";
      return out + `ERROR: ${where}:${first.start}: ${err.message}\n`;
    }
    return `ERROR: ${where}: ${err.message}\n`;
  }
  return `ERROR: ${err.message}\n`;
}
