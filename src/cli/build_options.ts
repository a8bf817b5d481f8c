// Copyright 2026 the buildkit-ts authors. MIT license.

import { parseArgs } from "../runtime/mod.ts";
import { suggest } from "../util/mod.ts";
import { NotImplementedError, UsageError } from "./errors.ts";

/** What `buildkit build` was asked to do, flags spelled as `docker buildx build`. */
export interface BuildOptions {
  /** Build context directory (positional). */
  context: string;
  /** Dockerfile path (`-f`); `-` reads it from standard input; absent = `<context>/Dockerfile`. */
  file?: string;
  buildArgs: Record<string, string>;
  target?: string;
  /** Target platforms, comma lists flattened. */
  platforms: string[];
  /** `--build-context name=source`. */
  buildContexts: Record<string, string>;
  tags: string[];
  outputs: string[];
  progress: string;
  /** `--no-cache`. */
  noCache: boolean;
  noCacheFilter: string[];
  labels: Record<string, string>;
  /** `--annotation KEY=VALUE`: manifest annotations. */
  annotations: Record<string, string>;
  iidfile?: string;
  metadataFile?: string;
  /** `--cache-dir`: the store root (default: $BUILDKIT_CACHE_DIR, then the user's cache dir). */
  cacheDir?: string;
  /** `-j/--jobs`: vertices run at once (default: the number of cores). */
  jobs?: number;
  /** `-q`: print only the image id. */
  quiet: boolean;
  /** `--secret` specs as given (`id=X,src=FILE` / `id=X,env=VAR`). */
  secrets: string[];
  /** `--ssh` specs as given (`default` / `ID=SOCKET`). */
  ssh: string[];
  /** `--allow` entitlements. */
  allow: string[];
  /** `--oci-runtime PATH`: crun or runc to use. */
  ociRuntime?: string;
  /** `--push`: shorthand for `-o type=registry` with the `-t` names. */
  push: boolean;
  /** `--load`: shorthand for `-o type=docker` (into the Docker daemon). */
  load: boolean;
  /** `--pull`: resolve base image tags again. */
  pull: boolean;
  /** `--insecure-registry HOST[:PORT]`: plain HTTP or untrusted certificates allowed there. */
  insecureRegistries: string[];
  /** `--cache-from` specs as given. */
  cacheFrom: string[];
  /** `--cache-to` specs as given. */
  cacheTo: string[];
}

const BUILD_FLAGS = {
  file: { type: "string", short: "f" },
  "build-arg": { type: "string", multiple: true },
  target: { type: "string" },
  platform: { type: "string", multiple: true },
  "build-context": { type: "string", multiple: true },
  tag: { type: "string", short: "t", multiple: true },
  output: { type: "string", short: "o", multiple: true },
  progress: { type: "string" },
  "no-cache": { type: "boolean" },
  "no-cache-filter": { type: "string", multiple: true },
  label: { type: "string", multiple: true },
  annotation: { type: "string", multiple: true },
  iidfile: { type: "string" },
  "metadata-file": { type: "string" },
  "cache-dir": { type: "string" },
  jobs: { type: "string", short: "j" },
  quiet: { type: "boolean", short: "q" },
  secret: { type: "string", multiple: true },
  ssh: { type: "string", multiple: true },
  allow: { type: "string", multiple: true },
  "oci-runtime": { type: "string" },
  push: { type: "boolean" },
  "cache-from": { type: "string", multiple: true },
  "cache-to": { type: "string", multiple: true },
  load: { type: "boolean" },
  pull: { type: "boolean" },
  "insecure-registry": { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
} as const;

/** buildx flags that later issues implement; accepted by name so the error can say so. */
const LATER_FLAGS: Record<string, string> = {
  "add-host": "--add-host",
  "shm-size": "--shm-size",
  ulimit: "--ulimit",
  attest: "attestations",
  sbom: "SBOM attestations",
  provenance: "provenance attestations",
  network: "a build-wide network mode (RUN --network=none|host works per step)",
  "cgroup-parent": "--cgroup-parent",
};

/** Names of every flag `build` knows, for suggestions. */
export const BUILD_FLAG_NAMES: string[] = [
  ...Object.keys(BUILD_FLAGS),
  ...Object.keys(LATER_FLAGS),
];

/**
 * Parses the arguments of `buildkit build` (and `buildkit debug llb`).
 *
 * @example
 * ```ts
 * import { parseBuildOptions } from "./build_options.ts";
 * const o = parseBuildOptions(["-t", "a", "--build-arg", "K=V", "."], { env: () => undefined });
 * console.assert(o.buildArgs.K === "V" && o.context === ".");
 * ```
 */
export function parseBuildOptions(
  args: string[],
  options: { env: (name: string) => string | undefined },
): BuildOptions & { help: boolean } {
  for (const arg of args) {
    if (!arg.startsWith("--")) continue;
    const name = arg.slice(2).split("=")[0]!;
    if (name in LATER_FLAGS) {
      throw new NotImplementedError(
        `flag --${name} is not implemented yet (${LATER_FLAGS[name]} comes with a later release)`,
      );
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options: BUILD_FLAGS, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageFromParseArgs(err, BUILD_FLAG_NAMES);
  }
  const v = parsed.values;
  if (v.help) return { ...emptyOptions("."), help: true };
  if (parsed.positionals.length !== 1) {
    throw new UsageError(
      `"buildkit build" requires exactly 1 argument (the build context), got ${parsed.positionals.length}`,
    );
  }
  const out: BuildOptions & { help: boolean } = {
    ...emptyOptions(parsed.positionals[0]!),
    help: false,
  };
  if (v.file !== undefined) out.file = v.file;
  if (v.target !== undefined) out.target = v.target;
  if (v.progress !== undefined) out.progress = v.progress;
  else out.progress = options.env("BUILDKIT_PROGRESS") ?? "auto";
  if (!["auto", "plain", "tty", "rawjson", "quiet"].includes(out.progress)) {
    throw new UsageError(
      `invalid progress mode "${out.progress}" (expected auto, plain, tty, rawjson or quiet)`,
    );
  }
  for (const a of v["build-arg"] ?? []) {
    const eq = a.indexOf("=");
    if (eq < 0) {
      // As buildx: `--build-arg NAME` takes the value from the environment, if set.
      const env = options.env(a);
      if (env !== undefined) out.buildArgs[a] = env;
    } else out.buildArgs[a.slice(0, eq)] = a.slice(eq + 1);
  }
  for (const p of v.platform ?? []) {
    for (const part of p.split(",")) if (part.trim() !== "") out.platforms.push(part.trim());
  }
  for (const c of v["build-context"] ?? []) {
    const eq = c.indexOf("=");
    if (eq <= 0 || eq === c.length - 1) {
      throw new UsageError(`invalid --build-context value "${c}" (expected NAME=SOURCE)`);
    }
    out.buildContexts[c.slice(0, eq)] = c.slice(eq + 1);
  }
  for (const l of v.label ?? []) {
    const eq = l.indexOf("=");
    out.labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? "" : l.slice(eq + 1);
  }
  for (const a of v.annotation ?? []) {
    const eq = a.indexOf("=");
    if (eq <= 0) throw new UsageError(`invalid --annotation value "${a}" (expected KEY=VALUE)`);
    out.annotations[a.slice(0, eq)] = a.slice(eq + 1);
  }
  if (v.iidfile !== undefined) out.iidfile = v.iidfile;
  if (v["metadata-file"] !== undefined) out.metadataFile = v["metadata-file"];
  if (v["cache-dir"] !== undefined) out.cacheDir = v["cache-dir"];
  if (v.jobs !== undefined) {
    const n = Number(v.jobs);
    if (!Number.isInteger(n) || n < 1) {
      throw new UsageError(`invalid --jobs "${v.jobs}" (expected a whole number ≥ 1)`);
    }
    out.jobs = n;
  }
  out.quiet = v.quiet ?? false;
  out.secrets = [...(v.secret ?? [])];
  out.ssh = [...(v.ssh ?? [])];
  out.allow = (v.allow ?? []).flatMap((a) => a.split(",")).map((a) => a.trim()).filter(Boolean);
  for (const a of out.allow) {
    if (a !== "network.host" && a !== "security.insecure") {
      throw new UsageError(`invalid --allow "${a}" (expected network.host or security.insecure)`);
    }
  }
  if (v["oci-runtime"] !== undefined) out.ociRuntime = v["oci-runtime"];
  out.push = v.push ?? false;
  out.cacheFrom = [...(v["cache-from"] ?? [])];
  out.cacheTo = [...(v["cache-to"] ?? [])];
  out.load = v.load ?? false;
  out.pull = v.pull ?? false;
  out.insecureRegistries = (v["insecure-registry"] ?? []).flatMap((r) => r.split(",")).map((r) =>
    r.trim()
  )
    .filter(Boolean);

  out.tags = [...(v.tag ?? [])];
  out.outputs = [...(v.output ?? [])];
  if (out.push) {
    if (out.tags.length === 0) throw new UsageError("--push needs at least one -t NAME to push to");
    out.outputs.push(`type=registry,"name=${out.tags.join(",")}"`);
  }
  if (out.load) out.outputs.push("type=docker");
  out.noCache = v["no-cache"] ?? false;
  out.noCacheFilter = [...(v["no-cache-filter"] ?? [])];
  return out;
}

function emptyOptions(context: string): BuildOptions {
  return {
    context,
    buildArgs: {},
    platforms: [],
    buildContexts: {},
    tags: [],
    outputs: [],
    progress: "auto",
    noCache: false,
    noCacheFilter: [],
    labels: {},
    annotations: {},
    quiet: false,
    secrets: [],
    ssh: [],
    allow: [],
    push: false,
    load: false,
    pull: false,
    insecureRegistries: [],
    cacheFrom: [],
    cacheTo: [],
  };
}

/** Turns a `node:util` parseArgs error into a usage error with a did-you-mean hint. */
export function usageFromParseArgs(err: unknown, known: string[]): UsageError {
  const message = err instanceof Error ? err.message : String(err);
  const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message);
  if (unknown) {
    const flag = unknown[1]!;
    const hint = flag.startsWith("--") ? suggest(flag.slice(2), known) : undefined;
    return new UsageError(`unknown flag: ${flag}${hint ? ` (did you mean --${hint}?)` : ""}`);
  }
  const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message);
  if (missing) return new UsageError(`flag needs an argument: ${missing[1]}`);
  return new UsageError(message.split("\n")[0] ?? message);
}
