// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Reading and writing definitions as JSON, with full validation: every op's
 * shape, every index, the graph's order and acyclicity, and every digest.
 *
 * @module
 */

import { z } from "zod";
import { canonicalJson } from "../util/mod.ts";
import { canonicalOpDigest, normalizeOp, opKind, opOutputCount } from "./canonical_op.ts";
import { LlbError } from "./errors.ts";
import type { Definition, DefinitionOp, Digest, FileAction, Op, OpMetadata } from "./types.ts";

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const digestSchema = z.string().regex(DIGEST_RE, "must be sha256: followed by 64 lower-case hex");
const index = z.int().min(-1);
const nonNegative = z.int().min(0);
const stringList = z.array(z.string());

const platformSchema = z.strictObject({
  os: z.string().min(1),
  architecture: z.string().min(1),
  variant: z.string().optional(),
  osVersion: z.string().optional(),
  osFeatures: stringList.optional(),
});

const sourceSchema = z.strictObject({
  identifier: z.string().min(1),
  attrs: z.record(z.string(), z.string()).optional(),
});

const execSchema = z.strictObject({
  meta: z.strictObject({
    args: z.array(z.string()).min(1, "must have at least one element"),
    env: stringList.optional(),
    cwd: z.string().min(1),
    user: z.string().optional(),
    hostname: z.string().optional(),
    proxyEnv: z.strictObject({
      httpProxy: z.string().optional(),
      httpsProxy: z.string().optional(),
      ftpProxy: z.string().optional(),
      noProxy: z.string().optional(),
      allProxy: z.string().optional(),
    }).optional(),
    extraHosts: z.array(z.strictObject({ host: z.string(), ip: z.string() })).optional(),
    validExitCodes: z.array(z.int()).optional(),
  }),
  mounts: z.array(z.strictObject({
    input: index.optional(),
    selector: z.string().optional(),
    dest: z.string().min(1),
    output: index.optional(),
    readonly: z.boolean().optional(),
    type: z.enum(["bind", "cache", "tmpfs", "secret", "ssh"]).optional(),
    cacheOpt: z.strictObject({
      id: z.string().min(1),
      sharing: z.enum(["shared", "private", "locked"]).optional(),
    }).optional(),
    secretOpt: z.strictObject({
      id: z.string().min(1),
      uid: nonNegative.optional(),
      gid: nonNegative.optional(),
      mode: nonNegative.optional(),
      optional: z.boolean().optional(),
    }).optional(),
    sshOpt: z.strictObject({
      id: z.string().optional(),
      uid: nonNegative.optional(),
      gid: nonNegative.optional(),
      mode: nonNegative.optional(),
      optional: z.boolean().optional(),
    }).optional(),
    tmpfsOpt: z.strictObject({ size: nonNegative.optional() }).optional(),
  })),
  network: z.enum(["unset", "host", "none"]).optional(),
  security: z.enum(["sandbox", "insecure"]).optional(),
  secretEnv: z.array(z.strictObject({
    id: z.string().min(1),
    name: z.string().min(1),
    optional: z.boolean().optional(),
  })).optional(),
});

const userRef = z.union([
  z.strictObject({ id: nonNegative }),
  z.strictObject({ name: z.string().min(1), input: index.optional() }),
]);
const owner = z.strictObject({ user: userRef.optional(), group: userRef.optional() }).optional();
const actionIndices = {
  input: index.optional(),
  secondaryInput: index.optional(),
  output: index.optional(),
};
const timestamp = z.int().min(-1).optional();

const actionSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("copy"),
    ...actionIndices,
    src: z.string().min(1),
    dest: z.string().min(1),
    owner,
    mode: z.int().min(-1).optional(),
    modeStr: z.string().optional(),
    followSymlinks: z.boolean().optional(),
    copyDirContentsOnly: z.boolean().optional(),
    attemptUnpack: z.boolean().optional(),
    createDestPath: z.boolean().optional(),
    allowWildcard: z.boolean().optional(),
    allowEmptyWildcard: z.boolean().optional(),
    timestamp,
    includePatterns: stringList.optional(),
    excludePatterns: stringList.optional(),
    alwaysReplaceExistingDestPaths: z.boolean().optional(),
    parents: z.boolean().optional(),
    requiredPaths: stringList.optional(),
  }),
  z.strictObject({
    type: z.literal("mkfile"),
    ...actionIndices,
    path: z.string().min(1),
    mode: nonNegative,
    data: z.string().optional(),
    dataBase64: z.base64().optional(),
    owner,
    timestamp,
  }),
  z.strictObject({
    type: z.literal("mkdir"),
    ...actionIndices,
    path: z.string().min(1),
    mode: nonNegative,
    makeParents: z.boolean().optional(),
    owner,
    timestamp,
  }),
  z.strictObject({
    type: z.literal("rm"),
    ...actionIndices,
    path: z.string().min(1),
    allowNotFound: z.boolean().optional(),
    allowWildcard: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal("symlink"),
    ...actionIndices,
    oldpath: z.string().min(1),
    newpath: z.string().min(1),
    owner,
    timestamp,
  }),
]);

const PAYLOADS = ["source", "exec", "file", "merge", "diff"] as const;

const opSchema = z.strictObject({
  inputs: z.array(z.strictObject({ digest: digestSchema, index: nonNegative.optional() }))
    .optional(),
  platform: platformSchema.optional(),
  constraints: z.strictObject({ filter: stringList.optional() }).optional(),
  source: sourceSchema.optional(),
  exec: execSchema.optional(),
  file: z.strictObject({ actions: z.array(actionSchema).min(1, "must have at least one action") })
    .optional(),
  merge: z.strictObject({ inputs: z.array(nonNegative).min(1, "must have at least one input") })
    .optional(),
  diff: z.strictObject({ lower: index, upper: index }).optional(),
}).superRefine((op, ctx) => {
  const present = PAYLOADS.filter((k) => op[k] !== undefined);
  if (present.length > 1) {
    ctx.addIssue({
      code: "custom",
      message: `an op has at most one of source, exec, file, merge, diff; found ${
        present.join(", ")
      }`,
    });
  }
});

const metadataSchema = z.strictObject({
  ignoreCache: z.boolean().optional(),
  description: z.record(z.string(), z.string()).optional(),
  progressGroup: z.strictObject({
    id: z.string(),
    name: z.string(),
    weak: z.boolean().optional(),
  }).optional(),
  caps: z.record(z.string(), z.boolean()).optional(),
  exportCache: z.boolean().optional(),
});

const position = z.strictObject({ line: nonNegative, character: nonNegative });

const definitionSchema = z.strictObject({
  version: z.literal(1),
  ops: z.array(z.strictObject({ digest: digestSchema, op: opSchema })).min(
    1,
    "must hold at least the terminal op",
  ),
  metadata: z.record(z.string(), metadataSchema).optional(),
  source: z.strictObject({
    files: z.record(
      z.string(),
      z.strictObject({ data: z.string(), language: z.string().optional() }),
    ),
    locations: z.record(
      z.string(),
      z.array(z.strictObject({
        file: z.string(),
        ranges: z.array(z.strictObject({ start: position, end: position })),
      })),
    ),
  }).optional(),
});

const SOURCE_SCHEMES = [
  "docker-image://",
  "docker-image+blob://",
  "oci-layout://",
  "oci-layout+blob://",
  "local://",
  "git://",
  "http://",
  "https://",
];

/**
 * Serializes a definition as canonical JSON (sorted keys, defaults omitted),
 * or indented with `{ pretty: true }`.
 *
 * @example
 * ```ts
 * import { definitionToJson, local, marshal, parseDefinition } from "./mod.ts";
 * const def = marshal(local("context"));
 * const json = definitionToJson(def);
 * console.assert(parseDefinition(json).ops[0]!.digest === def.ops[0]!.digest);
 * ```
 */
export function definitionToJson(def: Definition, options: { pretty?: boolean } = {}): string {
  const value: Record<string, unknown> = {
    version: def.version,
    ops: def.ops.map((o) => ({ digest: o.digest, op: normalizeOp(o.op) })),
    metadata: def.metadata,
  };
  if (def.source !== undefined) value.source = def.source;
  const text = canonicalJson(value);
  return options.pretty ? JSON.stringify(JSON.parse(text), null, 2) : text;
}

/**
 * Parses and validates a definition (JSON text or an already parsed value).
 * Checks every op's shape, every input and mount/action index, that inputs
 * refer to earlier ops and that there are no cycles, and recomputes every
 * digest. Returns the definition with ops in canonical form.
 *
 * @throws {LlbError} with `path` pointing at the first bad field.
 *
 * @example
 * ```ts
 * import { LlbError, parseDefinition } from "./mod.ts";
 * const wrong = `sha256:${"0".repeat(64)}`;
 * try {
 *   parseDefinition({
 *     version: 1,
 *     ops: [
 *       { digest: wrong, op: { source: { identifier: "local://context" } } },
 *       { digest: `sha256:${"1".repeat(64)}`, op: { inputs: [{ digest: wrong }] } },
 *     ],
 *     metadata: {},
 *   });
 *   throw new Error("not rejected");
 * } catch (err) {
 *   console.assert(err instanceof LlbError && err.message.includes("digest mismatch"));
 * }
 * ```
 */
export function parseDefinition(json: string | unknown): Definition {
  let value: unknown = json;
  if (typeof json === "string") {
    try {
      value = JSON.parse(json);
    } catch (err) {
      throw new LlbError(`not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  const parsed = definitionSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    throw new LlbError(issue.message, { path });
  }
  const raw = parsed.data as unknown as {
    version: 1;
    ops: { digest: Digest; op: Op }[];
    metadata?: Record<string, OpMetadata>;
    source?: Definition["source"];
  };
  const ops = raw.ops;
  const positions = new Map<string, number>();
  ops.forEach((entry, i) => {
    const seen = positions.get(entry.digest);
    if (seen !== undefined) {
      throw new LlbError(`duplicate vertex ${entry.digest} (also ops[${seen}])`, {
        path: ["ops", i, "digest"],
      });
    }
    positions.set(entry.digest, i);
  });
  ops.forEach((entry, i) => {
    const last = i === ops.length - 1;
    const kind = opKind(entry.op);
    if (last && kind !== "terminal") {
      throw new LlbError(`the last op must be the terminal op (inputs only), found a ${kind} op`, {
        path: ["ops", i, "op"],
      });
    }
    if (!last && kind === "terminal") {
      throw new LlbError("only the last op may be a terminal op (inputs only)", {
        path: ["ops", i, "op"],
      });
    }
  });
  checkReferences(ops, positions);
  const out: DefinitionOp[] = [];
  ops.forEach((entry, i) => {
    checkOpIndices(entry.op, ["ops", i, "op"]);
    (entry.op.inputs ?? []).forEach((input, j) => {
      const target = ops[positions.get(input.digest)!]!;
      const count = opOutputCount(target.op);
      const idx = input.index ?? 0;
      if (idx >= count) {
        throw new LlbError(
          `input refers to output ${idx} of ${input.digest}, which has ${count} output(s)`,
          { path: ["ops", i, "op", "inputs", j, "index"] },
        );
      }
    });
    const op = normalizeOp(entry.op);
    const digest = canonicalOpDigest(op);
    if (digest !== entry.digest) {
      throw new LlbError(
        `digest mismatch for vertex ${
          vertexLabel(entry.op)
        }: declared ${entry.digest}, computed ${digest}`,
        { path: ["ops", i, "digest"] },
      );
    }
    out.push({ digest, op });
  });
  const metadata: Record<string, OpMetadata> = {};
  for (const [key, meta] of Object.entries(raw.metadata ?? {})) {
    if (!positions.has(key)) {
      throw new LlbError(`metadata for unknown vertex ${key}`, { path: ["metadata", key] });
    }
    metadata[key] = meta;
  }
  const def: Definition = { version: 1, ops: out, metadata };
  if (raw.source !== undefined) {
    for (const [key, locs] of Object.entries(raw.source.locations)) {
      if (!positions.has(key)) {
        throw new LlbError(`source locations for unknown vertex ${key}`, {
          path: ["source", "locations", key],
        });
      }
      locs.forEach((loc, j) => {
        if (!Object.hasOwn(raw.source!.files, loc.file)) {
          throw new LlbError(`unknown source file "${loc.file}"`, {
            path: ["source", "locations", key, j, "file"],
          });
        }
      });
    }
    def.source = raw.source;
  }
  return def;
}

/** A short human label of a vertex for messages: kind plus its main argument. */
function vertexLabel(op: Op): string {
  if ("source" in op) return `source ${op.source.identifier}`;
  if ("exec" in op) return `exec ${JSON.stringify(op.exec.meta.args.join(" "))}`;
  if ("file" in op) return `file ${op.file.actions.map((a) => a.type).join(",")}`;
  return opKind(op);
}

function checkReferences(
  ops: { digest: Digest; op: Op }[],
  positions: Map<string, number>,
): void {
  // Dangling inputs first.
  ops.forEach((entry, i) => {
    (entry.op.inputs ?? []).forEach((input, j) => {
      if (!positions.has(input.digest)) {
        throw new LlbError(`dangling input: no op has digest ${input.digest}`, {
          path: ["ops", i, "op", "inputs", j, "digest"],
        });
      }
    });
  });
  // Cycles (iterative DFS with colors), reported with the vertices on the cycle.
  const color = new Uint8Array(ops.length); // 0 white, 1 on stack, 2 done
  for (let start = 0; start < ops.length; start++) {
    if (color[start] !== 0) continue;
    const stack: { node: number; next: number }[] = [{ node: start, next: 0 }];
    color[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const inputs = ops[top.node]!.op.inputs ?? [];
      if (top.next >= inputs.length) {
        color[top.node] = 2;
        stack.pop();
        continue;
      }
      const child = positions.get(inputs[top.next++]!.digest)!;
      if (color[child] === 1) {
        const from = stack.findIndex((f) => f.node === child);
        const cycle = stack.slice(from).map((f) => `ops[${f.node}]`);
        throw new LlbError(`cycle: ${[...cycle, `ops[${child}]`].join(" -> ")}`, {
          path: ["ops", top.node, "op", "inputs", top.next - 1, "digest"],
        });
      }
      if (color[child] === 0) {
        color[child] = 1;
        stack.push({ node: child, next: 0 });
      }
    }
  }
  // Topological order.
  ops.forEach((entry, i) => {
    (entry.op.inputs ?? []).forEach((input, j) => {
      const at = positions.get(input.digest)!;
      if (at >= i) {
        throw new LlbError(
          `input ${input.digest} is ops[${at}]; inputs must refer to earlier ops`,
          { path: ["ops", i, "op", "inputs", j, "digest"] },
        );
      }
    });
  });
}

function checkOutputs(outputs: number[], path: (string | number)[], what: string): void {
  const sorted = [...outputs].sort((a, b) => a - b);
  sorted.forEach((o, k) => {
    if (o !== k) {
      throw new LlbError(
        `${what} outputs must be numbered 0..${
          outputs.length - 1
        } without gaps or repeats, found [${outputs.join(", ")}]`,
        { path },
      );
    }
  });
}

function checkOpIndices(op: Op, path: (string | number)[]): void {
  const n = op.inputs?.length ?? 0;
  const inRange = (value: number | undefined, limit: number, at: (string | number)[]) => {
    const v = value ?? -1;
    if (v >= limit) {
      throw new LlbError(`index ${v} out of range (${limit} available)`, { path: at });
    }
  };
  if ("source" in op) {
    if (n > 0) throw new LlbError("a source op has no inputs", { path: [...path, "inputs"] });
    const id = op.source.identifier;
    if (!SOURCE_SCHEMES.some((s) => id.startsWith(s))) {
      throw new LlbError(
        `unknown source identifier "${id}" (expected ${SOURCE_SCHEMES.join(", ")})`,
        { path: [...path, "source", "identifier"] },
      );
    }
  } else if ("exec" in op) {
    const outputs: number[] = [];
    const dests = new Set<string>();
    op.exec.mounts.forEach((m, k) => {
      const at = [...path, "exec", "mounts", k];
      inRange(m.input, n, [...at, "input"]);
      if (dests.has(m.dest)) throw new LlbError(`duplicate mount dest "${m.dest}"`, { path: at });
      dests.add(m.dest);
      const type = m.type ?? "bind";
      if ((m.output ?? -1) >= 0) {
        if (type !== "bind" || m.readonly) {
          throw new LlbError("only read-write bind mounts can have an output", {
            path: [...at, "output"],
          });
        }
        outputs.push(m.output!);
      }
      for (
        const [key, want] of [
          ["cacheOpt", "cache"],
          ["secretOpt", "secret"],
          ["tmpfsOpt", "tmpfs"],
          ["sshOpt", "ssh"],
        ] as const
      ) {
        if (m[key] !== undefined && type !== want) {
          throw new LlbError(`${key} is only valid on ${want} mounts`, { path: [...at, key] });
        }
      }
      if (type === "cache" && m.cacheOpt === undefined) {
        throw new LlbError("a cache mount needs cacheOpt", { path: at });
      }
      if (type === "secret" && m.secretOpt === undefined) {
        throw new LlbError("a secret mount needs secretOpt", { path: at });
      }
    });
    if (!dests.has("/")) {
      throw new LlbError('an exec op needs a root mount (dest "/")', {
        path: [...path, "exec", "mounts"],
      });
    }
    checkOutputs(outputs, [...path, "exec", "mounts"], "mount");
  } else if ("file" in op) {
    const outputs: number[] = [];
    op.file.actions.forEach((a: FileAction, k) => {
      const at = [...path, "file", "actions", k];
      inRange(a.input, n + k, [...at, "input"]);
      inRange(a.secondaryInput, n + k, [...at, "secondaryInput"]);
      if ((a.secondaryInput ?? -1) >= 0 && a.type !== "copy") {
        throw new LlbError("only copy actions have a secondaryInput", {
          path: [...at, "secondaryInput"],
        });
      }
      if ((a.output ?? -1) >= 0) outputs.push(a.output!);
      if (a.type === "mkfile" && a.data !== undefined && a.dataBase64 !== undefined) {
        throw new LlbError("mkfile takes data or dataBase64, not both", { path: at });
      }
    });
    checkOutputs(outputs, [...path, "file", "actions"], "action");
  } else if ("merge" in op) {
    op.merge.inputs.forEach((v, k) => inRange(v, n, [...path, "merge", "inputs", k]));
  } else if ("diff" in op) {
    inRange(op.diff.lower, n, [...path, "diff", "lower"]);
    inRange(op.diff.upper, n, [...path, "diff", "upper"]);
  }
}
