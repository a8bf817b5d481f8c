// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The ops' implementations on the store: sources (local context, images), file ops,
 * merge/diff, and the worker that binds them to the solver.
 *
 * @module
 */

export { baseInputOf, selectorsFor, UnsupportedOpError, Worker } from "./worker.ts";
export type { ImageSourceResolver, LayerSettings, WorkerOptions } from "./worker.ts";
export { ContextSumCache, scanContext, selectionChecksum } from "./local_source.ts";
export type { ContextEntry, ContextScan, ContextSelector } from "./local_source.ts";
export { chainIds } from "./chains.ts";
export { executeFileOp, FileOpError } from "./file_op.ts";
export type { FileOpContext } from "./file_op.ts";
export * from "./image_source.ts";
export * from "./image_resolver.ts";
export {
  crunCgroupProblem,
  ExecRuntimeError,
  findRuntime,
  installedRuntimes,
  prepareCgroupsForCrun,
  RootlessNotImplementedError,
  runContainer,
  RuntimeUnavailableError,
} from "./exec_runtime.ts";
export type { ExecRequest, ExecResult } from "./exec_runtime.ts";
export { upperToChanges } from "./exec_changes.ts";
export { resolveExecUser } from "./exec_user.ts";
export { ExecFailedError, forwardSocket, runExecOp } from "./exec_op.ts";
export type { ExecSettings } from "./exec_op.ts";
