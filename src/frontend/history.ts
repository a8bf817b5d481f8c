// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The `created_by` texts BuildKit writes into image history for each
 * instruction (`dockerfile2llb/convert.go` `commitToHistory`,
 * `runCommandString`).
 *
 * @module
 */

import type { EnvList } from "./env_list.ts";
import { goDuration, goList } from "./go_format.ts";

/** The `comment` of every history entry the Dockerfile frontend writes. */
export const HISTORY_COMMENT = "buildkit.dockerfile.v0";

/** A declared build arg as the stage remembers it (name and resolved value). */
export interface StageBuildArg {
  key: string;
  /** Resolved value; absent when the ARG has neither default nor build-arg. */
  value?: string;
}

/**
 * The text of a RUN history entry: `|N K=V … args…`. Build args declared in the
 * stage are listed with their current value (ENV of the same name wins), each
 * key once, in first-declaration order.
 *
 * @example
 * ```ts
 * import { runCommandString } from "./history.ts";
 * import { EnvList } from "./env_list.ts";
 * const env = EnvList.empty().set("A", "1");
 * const s = runCommandString(["/bin/sh", "-c", "echo hi"], [{ key: "A", value: "1" }], env);
 * console.assert(s === "|1 A=1 /bin/sh -c echo hi");
 * ```
 */
export function runCommandString(
  args: readonly string[],
  buildArgs: readonly StageBuildArg[],
  env: EnvList,
): string {
  const pairs: string[] = [];
  const index = new Map<string, number>();
  for (const arg of buildArgs) {
    const v = env.get(arg.key) ?? arg.value ?? "";
    const at = index.get(arg.key);
    if (at !== undefined) {
      pairs[at] = `${arg.key}=${v}`;
    } else {
      index.set(arg.key, pairs.length);
      pairs.push(`${arg.key}=${v}`);
    }
  }
  const prefix = pairs.length > 0 ? [`|${pairs.length}`, ...pairs] : [];
  return [...prefix, ...args].join(" ");
}

/** Health check fields as they appear in the image config (durations in ns). */
export interface HealthcheckFields {
  test: readonly string[];
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

/**
 * The HEALTHCHECK history text (Go `%+v` of the config struct).
 *
 * @example
 * ```ts
 * import { healthcheckHistory } from "./history.ts";
 * const s = healthcheckHistory({ test: ["NONE"], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 });
 * console.assert(s === "HEALTHCHECK {Test:[NONE] Interval:0s Timeout:0s StartPeriod:0s StartInterval:0s Retries:0}");
 * ```
 */
export function healthcheckHistory(h: HealthcheckFields): string {
  return `HEALTHCHECK {Test:${goList(h.test)} Interval:${goDuration(h.interval)} Timeout:${
    goDuration(h.timeout)
  } StartPeriod:${goDuration(h.startPeriod)} StartInterval:${
    goDuration(h.startInterval)
  } Retries:${h.retries}}`;
}

/**
 * A history entry as the frontend appends it. `withState` marks instructions
 * that produce a build step (RUN, COPY, ADD): their text gets ` # buildkit`.
 *
 * @example
 * ```ts
 * import { historyEntry } from "./history.ts";
 * const h = historyEntry("RUN x", { layer: true, buildkitSuffix: true });
 * console.assert(h.created_by === "RUN x # buildkit" && h.empty_layer === undefined);
 * ```
 */
export function historyEntry(
  createdBy: string,
  options: { layer: boolean; buildkitSuffix?: boolean; created?: string },
): HistoryRecord {
  // Key order follows Go's struct order: created, created_by, comment, empty_layer.
  const entry: HistoryRecord = {};
  if (options.created !== undefined) entry.created = options.created;
  entry.created_by = options.buildkitSuffix ? createdBy + " # buildkit" : createdBy;
  entry.comment = HISTORY_COMMENT;
  if (!options.layer) entry.empty_layer = true;
  return entry;
}

/** One image history entry (OCI `history[]` item). */
export interface HistoryRecord {
  created?: string;
  author?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}
