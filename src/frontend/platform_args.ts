// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The automatic platform build args (`BUILDPLATFORM`, `TARGETARCH`, …) and
 * `TARGETSTAGE`, defined in the global scope (`dockerfile2llb/platform.go`).
 *
 * @module
 */

import type { Platform } from "./_deps.ts";
import { EnvList } from "./env_list.ts";

/**
 * `os/arch[/variant]` (containerd's `platforms.Format`).
 *
 * @example
 * ```ts
 * import { formatPlatformShort } from "./platform_args.ts";
 * console.assert(formatPlatformShort({ os: "linux", architecture: "arm", variant: "v7" }) === "linux/arm/v7");
 * ```
 */
export function formatPlatformShort(p: Platform): string {
  if (p.os === "") return "unknown";
  return [p.os, p.architecture, p.variant ?? ""].filter((s) => s !== "").join("/");
}

/**
 * Like {@link formatPlatformShort} plus `(osversion+features)` when present
 * (containerd's `platforms.FormatAll`).
 *
 * @example
 * ```ts
 * import { formatPlatformAll } from "./platform_args.ts";
 * console.assert(formatPlatformAll({ os: "linux", architecture: "amd64" }) === "linux/amd64");
 * ```
 */
export function formatPlatformAll(p: Platform): string {
  const base = formatPlatformShort(p);
  if (p.os === "") return base;
  const features = p.osFeatures ?? [];
  if ((p.osVersion ?? "") === "" && features.length === 0) return base;
  let extra = p.osVersion ?? "";
  if (features.length > 0) extra += "+" + features.join("+");
  return `${base}(${extra})`;
}

/**
 * The automatic args, in BuildKit's order, each overridable by a build arg.
 *
 * @example
 * ```ts
 * import { defaultArgs } from "./platform_args.ts";
 * const p = { os: "linux", architecture: "amd64" };
 * const env = defaultArgs({ buildPlatform: p, targetPlatform: p, buildArgs: {}, target: "" });
 * console.assert(env.get("TARGETSTAGE") === "default" && env.get("BUILDARCH") === "amd64");
 * ```
 */
export function defaultArgs(options: {
  buildPlatform: Platform;
  targetPlatform: Platform;
  buildArgs: Record<string, string>;
  target: string;
}): EnvList {
  const bp = options.buildPlatform;
  const tp = options.targetPlatform;
  const pairs: Array<[string, string]> = [
    ["BUILDPLATFORM", formatPlatformShort(bp)],
    ["BUILDOS", bp.os],
    ["BUILDOSVERSION", bp.osVersion ?? ""],
    ["BUILDARCH", bp.architecture],
    ["BUILDVARIANT", bp.variant ?? ""],
    ["TARGETPLATFORM", formatPlatformAll(tp)],
    ["TARGETOS", tp.os],
    ["TARGETOSVERSION", tp.osVersion ?? ""],
    ["TARGETARCH", tp.architecture],
    ["TARGETVARIANT", tp.variant ?? ""],
    ["TARGETSTAGE", options.target === "" ? "default" : options.target],
  ];
  let env = EnvList.empty();
  for (const [k, v] of pairs) {
    const override = Object.hasOwn(options.buildArgs, k) ? options.buildArgs[k] : undefined;
    env = env.set(k, override ?? v);
  }
  return env;
}
