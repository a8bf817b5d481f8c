// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * buildkit-ts: a container image builder. This is the library entry; the binary is cli.ts.
 *
 * - Parse Dockerfiles exactly as BuildKit does: {@linkcode parseDockerfile},
 *   {@linkcode dumpAst}, typed instructions with {@linkcode parseStages}.
 * - Turn a Dockerfile into a build graph and image config: {@linkcode dockerfileToLlb}.
 * - Write build graphs by hand with the immutable builder API ({@linkcode image},
 *   {@linkcode scratch}, {@linkcode local}, `State.run`, `State.file`, {@linkcode merge},
 *   {@linkcode marshal}) or read them from JSON with {@linkcode parseDefinition}.
 * - OCI model: references, platforms, manifests and image configs.
 *
 * @example
 * ```ts
 * import { copy, definitionToJson, image, local, marshal, parseDefinition } from "./mod.ts";
 * const app = image("alpine:3.20")
 *   .file(copy(local("context"), "/src", "/app"))
 *   .run({ args: ["/bin/sh", "-c", "make -C /app"] })
 *   .root();
 * const def = marshal(app);
 * const again = parseDefinition(definitionToJson(def));
 * console.assert(again.ops.length === def.ops.length);
 * ```
 *
 * @module
 */

export * from "./src/llb/mod.ts";
export { dockerfileToLlb } from "./src/frontend/mod.ts";
export type { ConvertOptions, ConvertResult, ImageResolver } from "./src/frontend/mod.ts";
export { DockerfileError, dumpAst, parseDockerfile, parseStages } from "./src/dockerfile/mod.ts";
/** Everything of the Dockerfile layer: parser, instructions, word expansion, patterns. */
export * as dockerfile from "./src/dockerfile/mod.ts";
/** OCI model: media types, manifests, image config, references, platforms. */
export * as oci from "./src/oci/mod.ts";
/** The generic scheduler. */
export * as solver from "./src/solver/mod.ts";
/** Progress events and renderers. */
export * as progress from "./src/progress/mod.ts";
