// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Per-stage conversion state and the stage registry (BuildKit's
 * `dispatchState` / `dispatchStates`): names, base-stage links, dependencies
 * through `COPY --from` and `RUN --mount from=`, reachability from the target
 * and the circular-dependency check.
 *
 * @module
 */

import type { DockerfileMountSpec as MountSpec, LineRange, Stage, StageCommand } from "./_deps.ts";
import { DockerfileError } from "./_deps.ts";
import type { Platform, State } from "./_deps.ts";
import type { ImageConfig } from "./_deps.ts";
import { EnvList } from "./env_list.ts";
import type { StageBuildArg } from "./history.ts";
import type { NamedContext } from "./options.ts";
import type { StepCounter } from "./progress_name.ts";

/** A stage command with the stages it reads from. */
export interface Command {
  cmd: StageCommand;
  /** For COPY --from: one source; for RUN: one per mount (undefined for none). */
  sources: Array<DispatchState | undefined>;
  /** Mounts of a RUN parsed without expansion (to find `from=` dependencies). */
  mounts?: MountSpec[];
  /** True when the command comes from an ONBUILD trigger. */
  isOnBuild: boolean;
}

/** Conversion state of one stage (or of an image used by `COPY --from`). */
export class DispatchState {
  stage: Stage;
  /** Position in the registry. */
  index = 0;
  /** Name shown in progress: `AS` name, `stage-N`, or "" when there is one stage. */
  stageName: string;
  /** The FROM target after expansion (later pinned to a digest). */
  baseName: string;
  platform: Platform | undefined;
  /** The stage this one is built `FROM`, when it is a stage of the same file. */
  base: DispatchState | undefined;
  deps = new Map<DispatchState, StageCommand>();
  commands: Command[] = [];
  state!: State;
  /** Mirror of the state's environment. */
  env: EnvList = EnvList.empty();
  /** Mirror of the state's working directory. */
  dir = "/";
  image!: ImageConfig;
  baseImage: ImageConfig | undefined;
  buildArgs: StageBuildArg[] = [];
  /** Build-context paths this stage reads. */
  ctxPaths = new Set<string>();
  /** Paths of this stage that later stages read (shared with the base stage). */
  paths = new Set<string>();
  dispatched = false;
  resolved = false;
  onBuildInit = false;
  /** An image used by COPY --from / mount from= that is not a stage. */
  unregistered = false;
  namedContext: { name: string; context: NamedContext } | undefined;
  counter: StepCounter = { total: 0, index: 0 };
  cmdIsOnBuild = false;
  /** CMD was set in this stage (ENTRYPOINT then keeps it). */
  cmdSet = false;
  ignoreCache = false;
  workdirSet = false;
  /** Build args this stage used (for the used/unused report). */
  usedArgs = new Set<string>();

  constructor(stage: Stage, baseName: string) {
    this.stage = stage;
    this.baseName = baseName;
    this.stageName = stage.name ?? "";
    this.platform = undefined;
    this.base = undefined;
  }

  /** Line range of the FROM. */
  get range(): LineRange[] {
    return this.stage.range;
  }
}

/** All stages in order, with a case-insensitive name index. */
export class DispatchStates {
  readonly states: DispatchState[] = [];
  readonly #byName = new Map<string, DispatchState>();

  /** Appends a state; links it to a same-named earlier stage it is built FROM. */
  add(ds: DispatchState): void {
    ds.index = this.states.length;
    this.states.push(ds);
    const base = this.#byName.get(ds.baseName);
    if (base !== undefined) ds.base = base;
    if (ds.stage.name !== undefined && ds.stage.name !== "") {
      this.#byName.set(ds.stage.name.toLowerCase(), ds);
    }
  }

  /** The stage named `name` (case-insensitive). */
  findByName(name: string): DispatchState | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  /** The stage at `index`, or a DockerfileError. */
  findByIndex(index: number): DispatchState {
    const ds = index >= 0 ? this.states[index] : undefined;
    if (ds === undefined) throw new DockerfileError(`invalid stage index ${index}`);
    return ds;
  }

  /** Names shown to users (for suggestions). */
  names(): string[] {
    return this.states.map((s) => s.stageName).filter((n) => n !== "");
  }

  /** The last stage (the default target). */
  last(): DispatchState {
    const ds = this.states[this.states.length - 1];
    if (ds === undefined) throw new DockerfileError("dockerfile contains no stages to build");
    return ds;
  }
}

/**
 * Every state `target` needs: itself, its base stages and the stages of its
 * dependencies, transitively.
 *
 * @example
 * ```ts ignore
 * const reachable = reachableStages(target);
 * ```
 */
export function reachableStages(target: DispatchState): Set<DispatchState> {
  const out = new Set<DispatchState>();
  const visit = (s: DispatchState) => {
    if (out.has(s)) return;
    out.add(s);
    if (s.base !== undefined) visit(s.base);
    for (const d of s.deps.keys()) visit(d);
  };
  visit(target);
  return out;
}

/**
 * Throws `circular dependency detected on stage: X` (with the lines of the
 * commands forming the cycle) when the dependency graph has a cycle.
 *
 * @example
 * ```ts ignore
 * validateCircularDependency(states.states);
 * ```
 */
export function validateCircularDependency(states: readonly DispatchState[]): void {
  const visited = new Set<DispatchState>();
  const path = new Set<DispatchState>();
  const visit = (s: DispatchState, current: StageCommand[]): StageCommand[] | undefined => {
    if (visited.has(s)) return undefined;
    visited.add(s);
    path.add(s);
    for (const [dep, c] of s.deps) {
      const next = [...current, c];
      if (path.has(dep)) return next;
      const found = visit(dep, next);
      if (found !== undefined) return found;
    }
    path.delete(s);
    return undefined;
  };
  for (const s of states) {
    const cmds = visit(s, []);
    if (cmds !== undefined) {
      throw new DockerfileError(`circular dependency detected on stage: ${s.stageName}`, {
        range: cmds.flatMap((c) => c.range),
      });
    }
  }
}
