// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The `oci` exporter: an OCI image layout, as a tarball (default,
 * `-o type=oci,dest=out.tar`) or as a directory (`tar=false`).
 *
 * Tarball: entries in containerd's order (sorted by name), streamed to a
 * temporary file next to `dest` and renamed over it at the end, so a failure
 * never leaves a half-written file and never destroys an existing one; `-`
 * writes to stdout.
 *
 * Directory: like BuildKit's client, the directory is a content store that
 * accumulates images. Blobs are added under their digest (hardlinked from the
 * store when it lives on the same file system, else copied and verified), and
 * `index.json` is merged (an entry with the same name is replaced) and
 * replaced atomically at the end. A failure midway leaves the previous
 * `index.json` (and so the previous images) intact; at worst some unreferenced
 * blobs remain.
 *
 * @module
 */

import { type Descriptor, parseIndex } from "../oci/mod.ts";
import { createTarStream } from "../archive/mod.ts";
import type { ContentStore } from "../store/mod.ts";
import { type fs, fsp, path } from "../runtime/mod.ts";
import {
  digestHex,
  errorText,
  streamChunks,
  tempSibling,
  verifiedBlob,
  writeFileAtomic,
  writeOutput,
} from "./_io.ts";
import { ExportError } from "./errors.ts";
import {
  IMAGE_NAME_ANNOTATION,
  layoutTarEntries,
  normalizeNames,
  OCI_LAYOUT_FILE,
  ociReferenceName,
  REF_NAME_ANNOTATION,
  serializeLayoutIndex,
  tarIndexEntries,
  walkImage,
} from "./layout.ts";

/** Options of {@linkcode exportOciLayout}. */
export interface ExportOciLayoutOptions {
  /** The store holding every blob of the image. */
  store: ContentStore;
  /** The image (manifest) or multi-platform index to export, as it goes into `index.json`. */
  descriptor: Descriptor;
  /** Destination: a file (or `-` for stdout) when `tar`, else a directory. */
  dest: string;
  /** Tarball (default) or directory layout. */
  tar?: boolean;
  /** Image names (`-t`, `name=`); written as `io.containerd.image.name` (full) and `org.opencontainers.image.ref.name` (tag). */
  names?: readonly string[];
  /** Extra annotations for the `index.json` entry. */
  annotations?: Record<string, string>;
}

/** What an export wrote. */
export interface ExportResult {
  /** The descriptor recorded in `index.json` (before name annotations). */
  descriptor: Descriptor;
  /** Normalized image names. */
  names: string[];
  /** Number of blobs in the layout. */
  blobs: number;
}

function withAnnotations(d: Descriptor, extra: Record<string, string> | undefined): Descriptor {
  if (extra === undefined || Object.keys(extra).length === 0) return d;
  return { ...d, annotations: { ...d.annotations, ...extra } };
}

/**
 * Exports an image or index from the store as an OCI image layout.
 *
 * @throws {ExportError} for a missing blob, a digest mismatch or an I/O error;
 * the destination is left as it was (see the module notes for directories).
 *
 * @example
 * ```ts ignore
 * import { exportOciLayout } from "./oci_layout.ts";
 * await exportOciLayout({ store, descriptor, dest: "out.tar", names: ["app:1"] });
 * ```
 */
export async function exportOciLayout(options: ExportOciLayoutOptions): Promise<ExportResult> {
  const descriptor = withAnnotations(options.descriptor, options.annotations);
  const names = normalizeNames(options.names ?? []);
  const { blobs } = await walkImage(options.store, descriptor);
  if (options.tar ?? true) {
    const index = serializeLayoutIndex(tarIndexEntries(descriptor, names));
    const entries = layoutTarEntries(options.store, blobs, { index });
    await writeTar(options.dest, createTarStream(entries));
  } else {
    await writeLayoutDir(options.store, options.dest, blobs, descriptor, names);
  }
  return { descriptor, names, blobs: blobs.length };
}

/** Streams a tar to `dest` (atomically, or stdout for `-`), wrapping failures. */
export async function writeTar(dest: string, tar: ReadableStream<Uint8Array>): Promise<void> {
  try {
    await writeOutput(dest, streamChunks(tar));
  } catch (e) {
    await tar.cancel(e).catch(() => {});
    if (e instanceof ExportError) throw e;
    throw new ExportError(`failed to write ${dest}: ${errorText(e)}`, { cause: e });
  }
}

async function exists(file: string): Promise<fs.Stats | undefined> {
  try {
    return await fsp.stat(file);
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return undefined;
    throw e;
  }
}

/**
 * Puts one blob into `blobsDir` under its digest: a hardlink to the store's
 * file when possible (after verifying its digest), else a verified copy.
 */
async function placeBlob(
  store: ContentStore,
  blobsDir: string,
  blob: { digest: string; size: number },
): Promise<void> {
  const target = path.join(blobsDir, digestHex(blob.digest));
  const st = await exists(target);
  if (st !== undefined && st.isFile() && st.size === blob.size) return;
  const source = store.path?.(blob.digest);
  if (source !== undefined) {
    const srcStat = await exists(source);
    if (srcStat !== undefined && srcStat.size === blob.size) {
      // A link shares the store's bytes: check them first, as a copy would.
      for await (const _ of verifiedBlob(store, blob)) { /* hashing only */ }
      const tmp = tempSibling(target);
      try {
        await fsp.link(source, tmp);
        await fsp.rename(tmp, target);
        return;
      } catch {
        await fsp.rm(tmp, { force: true }).catch(() => {});
        // Different file system or links not allowed: fall back to a copy.
      }
    }
  }
  await writeFileAtomic(target, verifiedBlob(store, blob), { mode: 0o444 });
}

interface LayoutIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

async function readLayoutIndex(file: string): Promise<LayoutIndex> {
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return { schemaVersion: 2, manifests: [] };
    throw e;
  }
  if (text.trim() === "") return { schemaVersion: 2, manifests: [] };
  try {
    const idx = parseIndex(text) as LayoutIndex;
    return { ...idx, manifests: [...idx.manifests] };
  } catch (e) {
    throw new ExportError(`could not parse existing ${file}: ${errorText(e)}`, { cause: e });
  }
}

/** Adds an entry as BuildKit's client does (`client/ociindex`): same name ⇒ replaced. */
function insertEntry(
  index: LayoutIndex,
  descriptor: Descriptor,
  name: { image?: string; tag?: string },
): void {
  const annotations: Record<string, string> = { ...descriptor.annotations };
  const imageName = name.image ?? "";
  const refName = name.image !== undefined ? ociReferenceName(name.image) : name.tag ?? "";
  if (imageName !== "") annotations[IMAGE_NAME_ANNOTATION] = imageName;
  annotations[REF_NAME_ANNOTATION] = refName;
  index.manifests = index.manifests.filter((m) =>
    (m.annotations?.[REF_NAME_ANNOTATION] ?? "") !== refName ||
    (m.annotations?.[IMAGE_NAME_ANNOTATION] ?? "") !== imageName
  );
  index.manifests.push({ ...descriptor, annotations });
}

async function writeLayoutDir(
  store: ContentStore,
  dest: string,
  blobs: readonly { digest: string; size: number }[],
  descriptor: Descriptor,
  names: readonly string[],
): Promise<void> {
  try {
    const st = await exists(dest);
    if (st !== undefined && !st.isDirectory()) {
      throw new ExportError(`destination directory ${dest} is a file`);
    }
    const blobsDir = path.join(dest, "blobs", "sha256");
    await fsp.mkdir(blobsDir, { recursive: true });
    for (const blob of blobs) await placeBlob(store, blobsDir, blob);
    const indexFile = path.join(dest, "index.json");
    const index = await readLayoutIndex(indexFile);
    if (names.length === 0) insertEntry(index, descriptor, { tag: "latest" });
    for (const image of names) insertEntry(index, descriptor, { image });
    const enc = new TextEncoder();
    await writeFileAtomic(path.join(dest, "oci-layout"), [enc.encode(OCI_LAYOUT_FILE)]);
    const text = serializeLayoutIndex(index.manifests);
    await writeFileAtomic(indexFile, [enc.encode(text)]);
  } catch (e) {
    if (e instanceof ExportError) throw e;
    throw new ExportError(`failed to export OCI layout to ${dest}: ${errorText(e)}`, { cause: e });
  }
}
