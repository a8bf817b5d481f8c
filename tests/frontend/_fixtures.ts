// Copyright 2026 the buildkit-ts authors. MIT license.

import type { ImageResolver } from "../../src/frontend/options.ts";
import type { ImageConfig } from "../../src/oci/image_config.ts";
import type { Definition } from "../../src/llb/types.ts";

/** The build platform used by every frontend test. */
export const AMD64 = { os: "linux", architecture: "amd64" };

/**
 * A resolver returning a small deterministic config for any reference; refs
 * containing `onbuild` carry ONBUILD triggers, `empty` has no layers.
 */
export function fakeResolver(calls: string[] = []): ImageResolver {
  return {
    resolveImageConfig(ref, opts) {
      calls.push(`${ref} ${opts.platform.os}/${opts.platform.architecture}`);
      const digest = "sha256:" + "1".repeat(64);
      const config: ImageConfig = {
        architecture: opts.platform.architecture,
        os: opts.platform.os,
        rootfs: {
          type: "layers",
          diff_ids:
            (ref.includes("empty") ? [] : ["sha256:" + "2".repeat(64)]) as unknown as NonNullable<
              ImageConfig["rootfs"]["diff_ids"]
            >,
        },
        config: {
          Env: ["PATH=/usr/local/bin:/usr/bin:/bin", "BASE_ENV=1"],
          Cmd: ["/bin/sh"],
          ...(ref.includes("onbuild") ? { OnBuild: ["RUN echo from-base-image"] } : {}),
          ...(ref.includes("workdir") ? { WorkingDir: "/base", User: "nobody" } : {}),
        },
        history: [{
          created: "2024-01-01T00:00:00Z",
          created_by: "/bin/sh -c #(nop) ADD file:x in /",
        }],
      };
      return Promise.resolve({ ref: ref.includes("@") ? ref : `${ref}@${digest}`, config });
    },
  };
}

/** Kind of an op in a definition. */
export function opKind(op: Definition["ops"][number]["op"]): string {
  for (const k of ["source", "exec", "file", "merge", "diff"]) if (k in op) return k;
  return "terminal";
}

/** A readable summary of a definition: ops in order with kind, name, payload. */
export function summarize(def: Definition): unknown[] {
  const index = new Map(def.ops.map((o, i) => [o.digest as string, i]));
  return def.ops.map((o, i) => {
    const md = def.metadata[o.digest];
    const { inputs, ...rest } = o.op as Record<string, unknown> & {
      inputs?: Array<{ digest: string; index?: number }>;
    };
    const out: Record<string, unknown> = { i, kind: opKind(o.op), digest: o.digest };
    const name = md?.description?.["llb.customname"];
    if (name !== undefined) out.name = name;
    if (md?.ignoreCache) out.ignoreCache = true;
    const loc = def.source?.locations[o.digest];
    if (loc !== undefined) {
      out.lines = loc.flatMap((l) => l.ranges.map((r) => `${r.start.line}-${r.end.line}`));
    }
    if (inputs !== undefined) {
      out.inputs = inputs.map((x) => `${index.get(x.digest)}:${x.index ?? 0}`);
    }
    Object.assign(out, rest);
    return out;
  });
}
