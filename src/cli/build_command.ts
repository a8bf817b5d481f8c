// Copyright 2026 the buildkit-ts authors. MIT license.

import { BuildNotImplementedError, runBuild } from "../build/mod.ts";
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
        }, { store, progress: sink, signal: ctl.signal, cwd: rt.cwd() }),
    );
    sink.close();
    if (opts.quiet) rt.writeStdout(`${outcome.image.configDescriptor.digest}\n`);
    else {
      for (const line of outcome.exported) rt.writeStderr(`=> ${line}\n`);
      rt.writeStderr(`=> image ${outcome.image.manifestDescriptor.digest}\n`);
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
