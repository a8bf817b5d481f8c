// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * RUN: an exec op on the stage root with the stage env, dir and user, its
 * `--mount`s, `--network`, `--security` and heredoc forms
 * (`dockerfile2llb/convert.go` `dispatchRun`, `convert_runmount.go`,
 * `convert_secrets.go`, `convert_ssh.go`).
 *
 * @module
 */

import {
  chompHeredocContent,
  type DockerfileMountSpec as DockerfileMount,
  parseHeredoc,
  parseMount,
  type RunInstruction,
} from "./_deps.ts";
import { mkdir, mkfile, type MountSpec, scratch, type State } from "./_deps.ts";
import type { Command, DispatchState } from "./dispatch_state.ts";
import {
  commit,
  type DispatchContext,
  displayText,
  lexOptions,
  locationOf,
  stepName,
} from "./dispatch.ts";
import { expandWord } from "./expand.ts";
import { scratchOn } from "./copy.ts";
import { runCommandString } from "./history.ts";
import { withShell } from "./image_config.ts";
import { basePath, cleanPath, joinPath } from "./paths.ts";

/** First line of a heredoc, `...` appended when it has more (progress names). */
function summarizeHeredoc(doc: string): string {
  const lines = doc.trim().replaceAll("\r\n", "\n").split("\n");
  return (lines[0] ?? "") + (lines.length > 1 ? "..." : "");
}

function isHeredocWord(word: string): boolean {
  try {
    return parseHeredoc(word) !== undefined;
  } catch {
    return false;
  }
}

/** Dispatches RUN. */
export function dispatchRun(
  d: DispatchState,
  c: RunInstruction,
  cmd: Command,
  ctx: DispatchContext,
): void {
  // A RUN may read anything from the stage's filesystem.
  d.paths.add("/");
  let customName = c.original.trim();
  const mountOpts: MountSpec[] = [];
  let args = [...c.cmdLine];

  if (c.files.length > 0) {
    if (args.length !== 1 || !c.prependShell) {
      throw new Error(`parsing produced an invalid run command: [${args.join(" ")}]`);
    }
    const first = c.files[0]!;
    if (isHeredocWord(args[0]!)) {
      let data = first.data;
      if (first.chomp) data = chompHeredocContent(data);
      if (d.image.os !== "windows" && data.startsWith("#!")) {
        // A script with a shebang: write it to a file and execute that.
        const st = scratchOn(d).file(mkfile(first.name, 0o755, data), {
          customName: "[internal] preparing inline document",
        });
        mountOpts.push({ dest: "/dev/pipes/", source: st, selector: "/", readonly: true });
        args = [joinPath("/dev/pipes/", first.name)];
      } else {
        args = [data];
      }
      customName += ` (${summarizeHeredoc(first.data)})`;
    } else {
      // Complex heredoc: hand the whole document to the shell.
      let b = args[0]!;
      for (const f of c.files) b += "\n" + f.data + f.name;
      args = [b];
    }
  }
  if (c.prependShell) args = withShell(d.image, args);

  // Mounts, expanded with the stage env.
  const expand = (w: string) => expandWord(w, d.env, lexOptions(ctx)).result;
  const mounts: DockerfileMount[] = c.mounts.map((m) => parseMount(m, expand));
  const secretEnv: Array<{ id: string; name: string; optional?: boolean }> = [];
  const maskedEnv = new Map<string, string>();
  for (const [i, m] of mounts.entries()) {
    const from = m.from === "" && m.type === "cache" ? "scratch" : m.from;
    let st: State = ctx.buildContext;
    if (from !== "") {
      const src = cmd.sources[i];
      if (src === undefined || !src.dispatched) {
        throw new Error(
          `cannot mount from stage "${from}" to "${m.target}", stage needs to be defined before current command`,
        );
      }
      st = src.state;
    }
    if (m.type === "secret") {
      let id = m.cacheId;
      if (m.source !== "") id = m.source;
      if (id === "") {
        if (m.target === "") throw new Error("one of source, target required");
        id = basePath(m.target);
      }
      let target: string | undefined = m.target !== "" ? m.target : undefined;
      if (m.env === undefined && target === undefined) target = "/run/secrets/" + basePath(id);
      const fileOpt = m.uid !== undefined || m.gid !== undefined || m.mode !== undefined;
      if (m.env !== undefined) {
        secretEnv.push({ id, name: m.env, ...(m.required ? {} : { optional: true }) });
        maskedEnv.set(m.env, "****");
      }
      if (target !== undefined) {
        mountOpts.push({
          dest: target,
          type: "secret",
          secret: {
            id,
            ...(fileOpt ? { uid: m.uid ?? 0, gid: m.gid ?? 0, mode: m.mode ?? 0o400 } : {}),
            ...(m.required ? {} : { optional: true }),
          },
        });
      }
      continue;
    }
    if (m.type === "ssh") {
      if (m.source !== "") throw new Error("ssh does not support source");
      const id = m.cacheId === "" ? "default" : m.cacheId;
      const fileOpt = m.uid !== undefined || m.gid !== undefined || m.mode !== undefined;
      mountOpts.push({
        dest: m.target !== "" ? m.target : `/run/buildkit/ssh_agent.${countSsh(mountOpts)}`,
        type: "ssh",
        ssh: {
          id,
          ...(fileOpt ? { uid: m.uid ?? 0, gid: m.gid ?? 0, mode: m.mode ?? 0o600 } : {}),
          ...(m.required ? {} : { optional: true }),
        },
      });
      continue;
    }
    const spec: MountSpec = { dest: "" };
    if (m.type === "tmpfs") {
      st = scratch();
      spec.type = "tmpfs";
      if (m.sizeLimit > 0) spec.tmpfs = { size: m.sizeLimit };
    }
    if (m.readOnly) spec.readonly = true;
    else if (m.type === "bind") spec.output = false;
    if (m.type === "cache") {
      spec.type = "cache";
      const id = m.cacheId !== "" ? m.cacheId : cleanPath(m.target);
      const sharing = m.cacheSharing ?? "shared";
      spec.cache = {
        id: ctx.cacheIdNamespace + "/" + id,
        ...(sharing !== "shared" ? { sharing } : {}),
      };
    }
    let target = m.target;
    if (!cleanPath(target).startsWith("/")) target = joinPath("/", d.dir, target);
    if (target === "/") throw new Error(`invalid mount target "${target}"`);
    spec.dest = target;
    const srcPath = joinPath("/", m.source);
    if (srcPath !== "/") {
      spec.selector = srcPath;
    } else if (m.uid !== undefined || m.gid !== undefined || m.mode !== undefined) {
      st = st.file(
        mkdir("/cache", m.mode ?? 0o755, { owner: { user: m.uid ?? 0, group: m.gid ?? 0 } }),
        { customName: "[internal] setting cache mount permissions" },
      );
      spec.selector = "/cache";
    }
    if (!st.isScratch() || m.type === "bind") spec.source = st;
    mountOpts.push(spec);
    if (from === "") d.ctxPaths.add(joinPath("/", m.source));
    else cmd.sources[i]?.paths.add(joinPath("/", m.source));
  }

  // Progress name: the command as written, expanded with raw quotes, secrets masked.
  let nameEnv = d.env;
  for (const [k, v] of maskedEnv) nameEnv = nameEnv.set(k, v);
  const name = stepName(
    d,
    ctx,
    displayText(d, ctx, customName, { rawQuotes: true, skipUnsetEnv: true }, nameEnv),
  );

  const network = c.network === "none" ? "none" : c.network === "host" ? "host" : undefined;
  const security = c.security === "insecure" ? "insecure" : undefined;
  const exec = d.state.run({
    args,
    mounts: mountOpts,
    ...(network !== undefined ? { network } : {}),
    ...(security !== undefined ? { security } : {}),
    ...(ctx.proxyEnv !== undefined ? { proxyEnv: ctx.proxyEnv } : {}),
    ...(secretEnv.length > 0 ? { secretEnv } : {}),
    customName: name,
    description: { "com.docker.dockerfile.v1.command": c.original.trim() },
    sourceLocation: locationOf(ctx, c.range),
    ...(d.ignoreCache ? { ignoreCache: true } : {}),
  });
  d.state = exec.root();
  for (const a of d.buildArgs) d.usedArgs.add(a.key);
  commit(d, ctx, "RUN " + runCommandString(args, d.buildArgs, d.env), {
    layer: true,
    buildkitSuffix: true,
  });
}

function countSsh(mounts: MountSpec[]): number {
  return mounts.filter((m) => m.type === "ssh").length;
}
