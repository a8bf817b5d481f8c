// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Progress events and their renderers: plain, tty, rawjson, quiet.
 *
 * @module
 */

import type { ProgressSink } from "./events.ts";
import { createPlainRenderer } from "./plain.ts";
import { createRawJsonRenderer } from "./rawjson.ts";
import { createTtyRenderer } from "./tty.ts";

export type * from "./events.ts";
export { createPlainRenderer, formatBytes } from "./plain.ts";
export { createRawJsonRenderer } from "./rawjson.ts";
export { createTtyRenderer } from "./tty.ts";
export type { TtyOptions } from "./tty.ts";

/** A progress mode as given by `--progress` or `BUILDKIT_PROGRESS`. */
export type ProgressMode = "auto" | "plain" | "tty" | "rawjson" | "quiet";

/**
 * Picks the renderer for a mode; `auto` is `tty` on a terminal and `plain` otherwise.
 *
 * @example
 * ```ts
 * import { createRenderer } from "./mod.ts";
 * const sink = createRenderer("quiet", { write: () => {}, isTerminal: false });
 * sink.close();
 * ```
 */
export function createRenderer(
  mode: ProgressMode,
  options: { write: (text: string) => void; isTerminal: boolean; columns?: number },
): ProgressSink {
  const m = mode === "auto" ? (options.isTerminal ? "tty" : "plain") : mode;
  switch (m) {
    case "plain":
      return createPlainRenderer(options.write);
    case "tty":
      return createTtyRenderer(options.write, options.columns ? { columns: options.columns } : {});
    case "rawjson":
      return createRawJsonRenderer(options.write);
    case "quiet":
      return { write() {}, close() {} };
  }
}
