// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * The generic scheduler: cache keys, reuse, concurrency, single flight, cancellation.
 * It knows nothing of Dockerfiles or of what an op does.
 *
 * @module
 */

export { SolveError, Solver, topoOrder } from "./solver.ts";
export type { SolveOptions, SolverOptions, VertexOutcome } from "./solver.ts";
export { Limiter } from "./limiter.ts";
export type * from "./types.ts";
