// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Image-config helpers of the frontend: the empty (scratch) config, the
 * default PATH, ENV updates in place, the default shell.
 *
 * @module
 */

import type { Platform } from "./_deps.ts";
import type { ImageConfig } from "./_deps.ts";
import { splitKeyValue } from "./env_list.ts";

/** PATH added to every non-Windows image that has none. */
export const DEFAULT_PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The config of `FROM scratch` for `platform`: WorkingDir `/`, default PATH.
 *
 * @example
 * ```ts ignore
 * emptyImage({ os: "linux", architecture: "amd64" }).config.WorkingDir; // "/"
 * ```
 */
export function emptyImage(platform: Platform): ImageConfig {
  const img: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    rootfs: { type: "layers", diff_ids: [] },
    config: { WorkingDir: "/" },
  };
  if (platform.osVersion) img["os.version"] = platform.osVersion;
  if (platform.osFeatures && platform.osFeatures.length > 0) {
    img["os.features"] = [...platform.osFeatures];
  }
  if (platform.variant) img.variant = platform.variant;
  if (platform.os !== "windows") img.config!.Env = ["PATH=" + DEFAULT_PATH_ENV];
  return img;
}

/**
 * A deep copy of an image config (configs are mutated while dispatching).
 *
 * @example
 * ```ts ignore
 * const copy = cloneImage(img);
 * ```
 */
export function cloneImage(img: ImageConfig): ImageConfig {
  return structuredClone(img);
}

/**
 * Sets `key=value` in an Env list, replacing an existing entry in place.
 *
 * @example
 * ```ts
 * import { addEnv } from "./image_config.ts";
 * console.assert(addEnv(["A=1", "B=2"], "A", "3").join() === "A=3,B=2");
 * ```
 */
export function addEnv(env: readonly string[] | undefined, key: string, value: string): string[] {
  const out = [...(env ?? [])];
  const i = out.findIndex((e) => splitKeyValue(e)[0] === key);
  if (i >= 0) out[i] = `${key}=${value}`;
  else out.push(`${key}=${value}`);
  return out;
}

/**
 * The shell used for shell-form commands on `os`.
 *
 * @example
 * ```ts
 * import { defaultShell } from "./image_config.ts";
 * console.assert(defaultShell("linux").join(" ") === "/bin/sh -c");
 * ```
 */
export function defaultShell(os: string): string[] {
  return os === "windows" ? ["cmd", "/S", "/C"] : ["/bin/sh", "-c"];
}

/**
 * Wraps shell-form arguments with the image's SHELL (or the default one).
 *
 * @example
 * ```ts ignore
 * withShell(img, ["echo hi"]); // ["/bin/sh", "-c", "echo hi"]
 * ```
 */
export function withShell(img: ImageConfig, args: readonly string[]): string[] {
  const shell = img.config?.Shell && img.config.Shell.length > 0
    ? [...img.config.Shell]
    : defaultShell(img.os);
  return [...shell, args.join(" ")];
}
