// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Exporters: image assembly (config, manifest, index), the OCI layout
 * (directory or tarball), the `docker load` archive, the `local` directory
 * and `tar` outputs, `-o/--output` parsing, and the build metadata
 * (`--metadata-file`, `--iidfile`).
 *
 * @example
 * ```ts ignore
 * import { buildImage, exportOciLayout, parseOutput, withCreatedAnnotation } from "./mod.ts";
 * const out = parseOutput("type=oci,dest=app.tar,name=app:1");
 * const image = await buildImage({ store, layers, config, sourceDateEpoch: 0 });
 * const descriptor = withCreatedAnnotation(image.manifestDescriptor, { sourceDateEpoch: 0 });
 * if (out.type === "oci") await exportOciLayout({ store, descriptor, dest: out.dest, names: out.image.names });
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./time.ts";
export * from "./image.ts";
export {
  IMAGE_NAME_ANNOTATION,
  normalizeNames,
  OCI_LAYOUT_FILE,
  ociReferenceName,
  REF_NAME_ANNOTATION,
  type WalkedImage,
  walkImage,
  type WalkResult,
} from "./layout.ts";
export * from "./oci_layout.ts";
export * from "./docker_archive.ts";
export * from "./local.ts";
export * from "./tar.ts";
export * from "./outputs.ts";
export * from "./metadata.ts";
export * from "./docker_load.ts";
