// Copyright 2026 the buildkit-ts authors. MIT license.

import { BuildNotImplementedError, type ExecSettings, runBuild } from "../build/mod.ts";
import { parseKeyValueCsv } from "./csv.ts";
import {
  type CacheExportSpec,
  type CacheImportSpec,
  parseCacheExportSpec,
  parseCacheImportSpecs,
} from "../cache/mod.ts";
import { OutputNotImplementedError, OutputSpecError, parseOutputs } from "../exporter/mod.ts";
import { createRenderer, type ProgressMode } from "../progress/mod.ts";
import type { Runtime } from "../runtime/mod.ts";
import type { BuildOptions } from "./build_options.ts";
import { NotImplementedError, UsageError } from "./errors.ts";
import { openBuildStore, prepareBuild, withDockerfile } from "./plan.ts";

/** `buildkit build`: runs the build and its exports; returns the exit status. */
export async function buildCommand(opts: BuildOptions, rt: Runtime): Promise<number> {
  const prepared = await prepareBuild(opts, rt);
  let outputs;
  try {
    outputs = parseOutputs(opts.outputs);
  } catch (err) {
    if (err instanceof OutputNotImplementedError) throw new NotImplementedError(err.message);
    if (err instanceof OutputSpecError) throw new UsageError(err.message);
    throw err;
  }
  const epochText = rt.env("SOURCE_DATE_EPOCH") ?? opts.buildArgs["SOURCE_DATE_EPOCH"];
  let sourceDateEpoch: number | undefined;
  if (epochText !== undefined && epochText !== "") {
    sourceDateEpoch = Number(epochText);
    if (!Number.isInteger(sourceDateEpoch) || sourceDateEpoch < 0) {
      throw new UsageError(
        `invalid SOURCE_DATE_EPOCH "${epochText}" (expected whole seconds since 1970)`,
      );
    }
  }
  const exec = await execSettings(opts, rt);
  let cacheFrom: CacheImportSpec[];
  let cacheTo: CacheExportSpec[];
  try {
    cacheFrom = opts.cacheFrom.flatMap((c) => parseCacheImportSpecs(c));
    cacheTo = opts.cacheTo.map((c) => parseCacheExportSpec(c));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const store = openBuildStore(opts.cacheDir, rt);
  const mode = (opts.quiet ? "quiet" : opts.progress) as ProgressMode;
  const sink = createRenderer(mode, {
    write: (t) => rt.writeStderr(t),
    isTerminal: rt.isTerminal("stderr"),
    ...(rt.columns() ? { columns: rt.columns()! } : {}),
  });
  const ctl = new AbortController();
  const offInt = rt.onSignal("SIGINT", () => ctl.abort(new Error("build cancelled (interrupt)")));
  const offTerm = rt.onSignal(
    "SIGTERM",
    () => ctl.abort(new Error("build cancelled (terminated)")),
  );
  try {
    const outcome = await withDockerfile(
      prepared.dockerfile,
      () =>
        runBuild({ dockerfile: prepared.dockerfile, contextDir: prepared.contextDir }, {
          buildArgs: opts.buildArgs,
          ...(opts.target !== undefined ? { target: opts.target } : {}),
          platforms: prepared.targetPlatforms,
          buildPlatform: prepared.buildPlatform,
          buildContexts: opts.buildContexts,
          tags: opts.tags,
          outputs,
          noCache: opts.noCache,
          noCacheFilter: opts.noCacheFilter,
          labels: opts.labels,
          annotations: opts.annotations,
          excludePatterns: prepared.excludePatterns,
          ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
          concurrency: opts.jobs ?? rt.cpuCount(),
          ...(opts.iidfile !== undefined ? { iidfile: opts.iidfile } : {}),
          ...(opts.metadataFile !== undefined ? { metadataFile: opts.metadataFile } : {}),
          exec,
          cacheFrom,
          cacheTo,
          registry: {
            pull: opts.pull,
            insecureRegistries: [
              ...opts.insecureRegistries,
              ...(rt.env("BUILDKIT_INSECURE_REGISTRIES") ?? "").split(",").map((x) => x.trim())
                .filter(Boolean),
            ],
            ...(rt.env("DOCKER_HOST") !== undefined ? { dockerHost: rt.env("DOCKER_HOST")! } : {}),
          },
        }, { store, progress: sink, signal: ctl.signal, cwd: rt.cwd() }),
    );
    sink.close();
    if (opts.quiet) rt.writeStdout(`${outcome.imageId}\n`);
    else {
      for (const line of outcome.exported) rt.writeStderr(`=> ${line}\n`);
      rt.writeStderr(`=> image ${outcome.root.digest}\n`);
      if (opts.outputs.length === 0 && opts.tags.length === 0) {
        rt.writeStderr(
          "WARNING: no output specified and no -t name: the result stays in the build cache and the image store, untagged\n",
        );
      }
    }
    return 0;
  } catch (err) {
    sink.close();
    if (err instanceof BuildNotImplementedError) throw new NotImplementedError(err.message);
    throw err;
  } finally {
    offInt();
    offTerm();
  }
}

/** Reads `--secret`, `--ssh`, `--allow` and `--oci-runtime` as buildx does. */
export async function execSettings(opts: BuildOptions, rt: Runtime): Promise<ExecSettings> {
  const secrets: Record<string, Uint8Array> = {};
  for (const spec of opts.secrets) {
    const kv = Object.fromEntries(
      parseKeyValueCsv(spec).map(([k, v]) => [k.toLowerCase(), v ?? ""]),
    );
    const id = kv.id;
    if (!id) throw new UsageError(`invalid --secret "${spec}": id= is required`);
    const src = kv.src ?? kv.source;
    const env = kv.env;
    if (src !== undefined && src !== "" && kv.type !== "env") {
      try {
        secrets[id] = await rt.readFile(rt.resolvePath(src));
      } catch {
        throw new UsageError(`failed to read secret "${id}" from ${src}`);
      }
    } else {
      const name = env ?? src ?? id;
      const value = rt.env(name);
      if (value === undefined) {
        throw new UsageError(
          `secret "${id}": environment variable ${name} is not set (give src=FILE or env=VAR)`,
        );
      }
      secrets[id] = new TextEncoder().encode(value);
    }
  }
  const ssh: Record<string, string> = {};
  for (const spec of opts.ssh) {
    const eq = spec.indexOf("=");
    const id = eq < 0 ? spec : spec.slice(0, eq);
    const socket = eq < 0 ? rt.env("SSH_AUTH_SOCK") : spec.slice(eq + 1).split(",")[0];
    if (!socket) {
      throw new UsageError(
        `--ssh ${id}: no agent socket (SSH_AUTH_SOCK is not set; give ${id}=SOCKET)`,
      );
    }
    const info = rt.lstat(rt.resolvePath(socket));
    if (info === undefined) throw new UsageError(`--ssh ${id}: ${socket} does not exist`);
    if (info.isFile) {
      throw new NotImplementedError(
        `--ssh ${id}: private key files are not supported yet; give an agent socket`,
      );
    }
    ssh[id] = rt.resolvePath(socket);
  }
  return {
    secrets,
    ssh,
    entitlements: opts.allow,
    ...(opts.ociRuntime !== undefined ? { runtime: opts.ociRuntime } : {}),
  };
}
