// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Platforms (`linux/arm64`, `linux/arm/v7`, `windows(10.0.17763)/amd64`):
 * parsing and normalization as containerd's `platforms` package does, and the
 * compatibility matcher of `platforms.Only` (arm64 runs arm/v8…v5, arm/v7 runs
 * v6 and v5, amd64/v3 runs v2, v1 and 386).
 *
 * @module
 */

import { z } from "zod";

/** A target platform, with the field names of this project. */
export interface Platform {
  /** Operating system, e.g. `linux`. */
  os: string;
  /** CPU architecture in Go's naming, e.g. `amd64`, `arm64`, `arm`. */
  architecture: string;
  /** CPU variant, e.g. `v7` for arm; absent for the default variant. */
  variant?: string;
  /** OS version (Windows builds), e.g. `10.0.17763.1234`. */
  osVersion?: string;
  /** Required OS features, e.g. `win32k`. */
  osFeatures?: string[];
}

/** The platform object as written in OCI descriptors and image configs. */
export interface OciPlatform {
  /** CPU architecture. */
  architecture: string;
  /** Operating system. */
  os: string;
  /** OS version. */
  "os.version"?: string;
  /** OS features. */
  "os.features"?: string[];
  /** CPU variant. */
  variant?: string;
  /** CPU features (Docker manifest lists only; reserved in OCI). */
  features?: string[];
}

/** Zod schema for {@link OciPlatform} (unknown fields allowed). */
export const ociPlatformSchema = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  "os.version": z.string().optional(),
  "os.features": z.array(z.string()).optional(),
  variant: z.string().optional(),
  features: z.array(z.string()).optional(),
});

/** Thrown by {@link parsePlatform} for a malformed platform specifier. */
export class InvalidPlatformError extends SyntaxError {
  /** The specifier that was parsed. */
  readonly input: string;
  /** Builds the error. */
  constructor(input: string, message: string) {
    super(message);
    this.name = "InvalidPlatformError";
    this.input = input;
  }
}

const KNOWN_OS = new Set([
  "aix",
  "android",
  "darwin",
  "dragonfly",
  "freebsd",
  "hurd",
  "illumos",
  "ios",
  "js",
  "linux",
  "nacl",
  "netbsd",
  "openbsd",
  "plan9",
  "solaris",
  "windows",
  "zos",
]);

const KNOWN_ARCH = new Set([
  "386",
  "amd64",
  "amd64p32",
  "arm",
  "armbe",
  "arm64",
  "arm64be",
  "ppc64",
  "ppc64le",
  "loong64",
  "mips",
  "mipsle",
  "mips64",
  "mips64le",
  "mips64p32",
  "mips64p32le",
  "ppc",
  "riscv",
  "riscv64",
  "s390",
  "s390x",
  "sparc",
  "sparc64",
  "wasm",
]);

const COMPONENT_RE = /^[A-Za-z0-9_.-]+$/;
const OS_RE = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$/;

function normalizeOs(os: string): string {
  const lower = os.toLowerCase();
  return lower === "macos" ? "darwin" : lower;
}

function normalizeArch(arch: string, variant: string): [string, string] {
  let a = arch.toLowerCase();
  let v = variant.toLowerCase();
  switch (a) {
    case "i386":
      a = "386";
      v = "";
      break;
    case "x86_64":
    case "x86-64":
    case "amd64":
      a = "amd64";
      if (v === "v1") v = "";
      break;
    case "aarch64":
    case "arm64":
      a = "arm64";
      if (v === "8" || v === "v8") v = "";
      break;
    case "armhf":
      a = "arm";
      v = "v7";
      break;
    case "armel":
      a = "arm";
      v = "v6";
      break;
    case "arm":
      if (v === "" || v === "7") v = "v7";
      else if (v === "5" || v === "6" || v === "8") v = "v" + v;
      break;
  }
  return [a, v];
}

function build(
  os: string,
  architecture: string,
  variant: string,
  osVersion: string,
  osFeatures: readonly string[] | undefined,
): Platform {
  const p: Platform = { os, architecture };
  if (variant !== "") p.variant = variant;
  if (osVersion !== "") p.osVersion = osVersion;
  if (osFeatures !== undefined && osFeatures.length > 0) p.osFeatures = [...osFeatures];
  return p;
}

/**
 * Normalizes a platform as containerd's `platforms.Normalize`: lower-case OS
 * (`macos` → `darwin`), architecture aliases (`x86_64` → `amd64`, `aarch64` →
 * `arm64`, `armhf` → `arm/v7`, `armel` → `arm/v6`, `i386` → `386`), default
 * variants made explicit for arm (`v7`) and dropped for arm64 (`v8`) and
 * amd64 (`v1`), OS features sorted and de-duplicated.
 *
 * @example
 * ```ts
 * import { normalizePlatform } from "./platform.ts";
 * const p = normalizePlatform({ os: "Linux", architecture: "aarch64", variant: "v8" });
 * console.assert(p.architecture === "arm64" && p.variant === undefined);
 * ```
 */
export function normalizePlatform(platform: Platform): Platform {
  const [arch, variant] = normalizeArch(platform.architecture, platform.variant ?? "");
  const features = platform.osFeatures === undefined
    ? undefined
    : [...new Set(platform.osFeatures)].sort();
  return build(normalizeOs(platform.os), arch, variant, platform.osVersion ?? "", features);
}

/** Facts about the machine, used when a specifier names only an OS or only an architecture. */
export interface PlatformDefaults {
  /** Host OS in Go naming (see {@link defaultPlatform}); defaults to `linux`. */
  os?: string;
  /** Host architecture in Go naming; defaults to `amd64`. */
  architecture?: string;
  /** Host CPU variant (arm only). */
  variant?: string;
}

function decodeOsOption(input: string, v: string): string {
  if (!v.includes("%")) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    throw new InvalidPlatformError(
      input,
      `Cannot parse platform ${JSON.stringify(input)}: invalid escape in OS option ${
        JSON.stringify(v)
      }`,
    );
  }
}

/**
 * Parses a platform specifier (`<os>[(<osversion>[+<feature>]*)][/<arch>[/<variant>]]`
 * or a bare architecture) and normalizes it, which is what BuildKit does with
 * `--platform` values (`platforms.Normalize(platforms.Parse(s))`). A bare OS or
 * architecture is completed from `defaults` (the host; pure code cannot look).
 *
 * @throws {InvalidPlatformError} for wildcards, bad characters, unknown bare
 * names, or more than three components.
 *
 * @example
 * ```ts
 * import { parsePlatform } from "./platform.ts";
 * const p = parsePlatform("linux/arm64/v8");
 * console.assert(p.os === "linux" && p.architecture === "arm64" && p.variant === undefined);
 * console.assert(parsePlatform("linux/arm").variant === "v7");
 * ```
 */
export function parsePlatform(specifier: string, defaults: PlatformDefaults = {}): Platform {
  const quoted = JSON.stringify(specifier);
  if (specifier.includes("*")) {
    throw new InvalidPlatformError(
      specifier,
      `Cannot parse platform ${quoted}: wildcards are not supported`,
    );
  }
  const parts = specifier.split("/");
  if (parts.length > 3) {
    throw new InvalidPlatformError(
      specifier,
      `Cannot parse platform ${quoted}: expected at most <os>/<arch>/<variant>`,
    );
  }
  const osPart = parts[0]!;
  const osMatch = OS_RE.exec(osPart);
  if (!osMatch) {
    throw new InvalidPlatformError(
      specifier,
      `Cannot parse platform ${quoted}: ${
        JSON.stringify(osPart)
      } is not a valid OS component (letters, digits, '_' and '-', optionally followed by (version))`,
    );
  }
  for (const part of parts.slice(1)) {
    if (!COMPONENT_RE.test(part)) {
      throw new InvalidPlatformError(
        specifier,
        `Cannot parse platform ${quoted}: ${
          JSON.stringify(part)
        } is not a valid component (letters, digits, '_', '.' and '-')`,
      );
    }
  }
  const os = normalizeOs(osMatch[1]!);
  const osVersion = decodeOsOption(specifier, osMatch[2] ?? "");
  const features = osMatch[3]
    ? osMatch[3].slice(1).split("+").map((f) => decodeOsOption(specifier, f))
    : undefined;

  if (parts.length === 1) {
    if (KNOWN_OS.has(os)) {
      const [arch, variant] = normalizeArch(
        defaults.architecture ?? "amd64",
        defaults.variant ?? "",
      );
      return normalizePlatform(build(os, arch, variant, osVersion, features));
    }
    const [arch, variant] = normalizeArch(osPart, "");
    if (KNOWN_ARCH.has(arch)) {
      return normalizePlatform(build(normalizeOs(defaults.os ?? "linux"), arch, variant, "", []));
    }
    throw new InvalidPlatformError(
      specifier,
      `Cannot parse platform ${quoted}: unknown operating system or architecture`,
    );
  }
  const [arch, variant] = normalizeArch(parts[1]!, parts[2] ?? "");
  return normalizePlatform(build(os, arch, variant, osVersion, features));
}

function encodeOsOption(v: string): string {
  return v.replaceAll("%", "%25").replaceAll("+", "%2B").replaceAll("(", "%28")
    .replaceAll(")", "%29").replaceAll("/", "%2F");
}

/** Options for {@link formatPlatform}. */
export interface FormatPlatformOptions {
  /** Include `(osVersion+features)` after the OS, as containerd's `FormatAll`. */
  includeOsVersion?: boolean;
}

/**
 * Formats a platform as `os/arch[/variant]` (containerd `platforms.Format`);
 * `unknown` when the OS is empty.
 *
 * @example
 * ```ts
 * import { formatPlatform } from "./platform.ts";
 * console.assert(formatPlatform({ os: "linux", architecture: "arm", variant: "v7" }) === "linux/arm/v7");
 * ```
 */
export function formatPlatform(platform: Platform, options: FormatPlatformOptions = {}): string {
  if (platform.os === "") return "unknown";
  let os = platform.os;
  if (options.includeOsVersion) {
    let opts = encodeOsOption(platform.osVersion ?? "");
    for (const f of [...(platform.osFeatures ?? [])].sort()) opts += "+" + encodeOsOption(f);
    if (opts !== "") os += `(${opts})`;
  }
  return [os, platform.architecture, platform.variant ?? ""].filter((s) => s !== "").join("/");
}

const HOST_ARCH: Record<string, string> = {
  x64: "amd64",
  ia32: "386",
  x86: "386",
  ppc: "ppc",
  loong64: "loong64",
};

const HOST_OS: Record<string, string> = { win32: "windows", win: "windows", sunos: "solaris" };

/**
 * The default build platform for a host. Takes the host facts from the caller
 * (the Deno `build.arch`/`build.os` or Node `arch`/`platform` spellings
 * are both accepted) and normalizes them.
 *
 * @example
 * ```ts
 * import { defaultPlatform } from "./platform.ts";
 * const p = defaultPlatform("x86_64", "linux");
 * console.assert(p.os === "linux" && p.architecture === "amd64");
 * console.assert(defaultPlatform("arm", "linux", { variant: "v6" }).variant === "v6");
 * ```
 */
export function defaultPlatform(
  hostArch: string,
  hostOs: string,
  options: { variant?: string } = {},
): Platform {
  const arch = HOST_ARCH[hostArch.toLowerCase()] ?? hostArch;
  const os = HOST_OS[hostOs.toLowerCase()] ?? hostOs;
  return normalizePlatform(build(os, arch, options.variant ?? "", "", undefined));
}

/** Converts the OCI JSON form (`os.version`, `os.features`) to a {@link Platform}. */
export function platformFromOci(p: OciPlatform): Platform {
  return build(p.os, p.architecture, p.variant ?? "", p["os.version"] ?? "", p["os.features"]);
}

/**
 * Converts a {@link Platform} to the OCI JSON form, fields in Go struct order
 * with empty ones omitted.
 *
 * @example
 * ```ts
 * import { platformToOci } from "./platform.ts";
 * console.assert(JSON.stringify(platformToOci({ os: "linux", architecture: "arm64" })) === '{"architecture":"arm64","os":"linux"}');
 * ```
 */
export function platformToOci(p: Platform): OciPlatform {
  const out: OciPlatform = { architecture: p.architecture, os: p.os };
  if (p.osVersion) out["os.version"] = p.osVersion;
  if (p.osFeatures && p.osFeatures.length > 0) out["os.features"] = [...p.osFeatures];
  if (p.variant) out.variant = p.variant;
  return out;
}

// containerd platformVector: the ordered list of platforms a host can run.
function platformVector(p: Platform): Platform[] {
  const vector: Platform[] = [p];
  const same = (architecture: string, variant: string): Platform => {
    const q: Platform = { os: p.os, architecture };
    if (variant !== "") q.variant = variant;
    if (p.osVersion !== undefined) q.osVersion = p.osVersion;
    if (p.osFeatures !== undefined) q.osFeatures = p.osFeatures;
    return q;
  };
  const versionOf = (v: string | undefined): number => {
    const s = (v ?? "").replace(/^v/, "");
    return /^[+-]?\d+$/.test(s) ? Number(s) : NaN;
  };
  switch (p.architecture) {
    case "amd64": {
      const n = versionOf(p.variant);
      if (n > 1) { for (let i = n - 1; i >= 1; i--) vector.push(same("amd64", `v${i}`)); }
      vector.push(same("386", ""));
      break;
    }
    case "arm": {
      const n = versionOf(p.variant);
      if (n > 5) { for (let i = n - 1; i >= 5; i--) vector.push(same("arm", `v${i}`)); }
      break;
    }
    case "arm64": {
      let variant = p.variant ?? "v8";
      const dot = variant.indexOf(".");
      const majorText = dot < 0 ? variant : variant.slice(0, dot);
      const minorText = dot < 0 ? "" : variant.slice(dot + 1);
      let major = versionOf(majorText);
      if (major >= 8) {
        let minor = 0;
        if (variant.length === 4 && dot >= 0 && /^\d+$/.test(minorText)) minor = Number(minorText);
        const v = (maj: number, min: number) => (min === 0 ? `v${maj}` : `v${maj}.${min}`);
        if (major === 9) {
          for (let m = minor - 1; m >= 0; m--) vector.push(same("arm64", v(9, m)));
          // v9.x is compatible with v8.(x+5)
          minor += 5;
          major = 8;
          vector.push(same("arm64", `v8.${minor}`));
        }
        for (let m = minor - 1; m >= 0; m--) vector.push(same("arm64", v(major, m)));
      }
      if (variant.startsWith("v8.") || variant.startsWith("v9.")) variant = "v8";
      vector.push(...platformVector(same("arm", variant)));
      break;
    }
  }
  return vector;
}

function windowsBuild(v: string | undefined): string {
  return (v ?? "").split(".").slice(0, 3).join(".");
}

function exactMatch(want: Platform, have: Platform, original: Platform): boolean {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  if ((w.variant ?? "") !== (h.variant ?? "")) return false;
  if (original.os === "windows" && want.osVersion) {
    // Simplified from containerd's Windows matcher: same major.minor.build.
    if (have.osVersion && windowsBuild(want.osVersion) !== windowsBuild(have.osVersion)) {
      return false;
    }
  }
  const hf = h.osFeatures ?? [];
  if (hf.length === 0) return true;
  const wf = new Set(w.osFeatures ?? []);
  return hf.every((f) => wf.has(f));
}

/**
 * How well `have` suits a build for `want`: 0 for an exact match, higher for
 * a compatible fallback (containerd `platforms.Only` order), -1 when `have`
 * cannot run on `want`.
 *
 * @example
 * ```ts
 * import { platformMatchRank } from "./platform.ts";
 * const want = { os: "linux", architecture: "arm", variant: "v7" };
 * console.assert(platformMatchRank(want, { os: "linux", architecture: "arm", variant: "v6" }) === 1);
 * ```
 */
export function platformMatchRank(want: Platform, have: Platform): number {
  const vector = platformVector(normalizePlatform(want));
  for (let i = 0; i < vector.length; i++) {
    if (exactMatch(vector[i]!, have, want)) return i;
  }
  return -1;
}

/**
 * Reports whether an image for `have` can be used for `want` (containerd
 * `platforms.Only(want).Match(have)`).
 *
 * @example
 * ```ts
 * import { matchPlatform } from "./platform.ts";
 * console.assert(matchPlatform({ os: "linux", architecture: "arm64" }, { os: "linux", architecture: "arm", variant: "v7" }));
 * console.assert(!matchPlatform({ os: "linux", architecture: "arm", variant: "v6" }, { os: "linux", architecture: "arm", variant: "v7" }));
 * ```
 */
export function matchPlatform(want: Platform, have: Platform): boolean {
  return platformMatchRank(want, have) >= 0;
}

/**
 * Picks the candidate that best suits `want`: the first exact match, else the
 * first candidate of the best fallback rank; `undefined` when none fits.
 *
 * @example
 * ```ts
 * import { bestMatch } from "./platform.ts";
 * const pick = bestMatch({ os: "linux", architecture: "arm", variant: "v7" }, [
 *   { os: "linux", architecture: "arm", variant: "v5" },
 *   { os: "linux", architecture: "arm", variant: "v6" },
 * ]);
 * console.assert(pick?.variant === "v6");
 * ```
 */
export function bestMatch<T extends Platform>(
  want: Platform,
  candidates: readonly T[],
): T | undefined {
  let best: T | undefined;
  let bestRank = Infinity;
  for (const c of candidates) {
    const r = platformMatchRank(want, c);
    if (r >= 0 && r < bestRank) {
      best = c;
      bestRank = r;
    }
  }
  return best;
}
