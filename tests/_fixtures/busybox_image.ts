// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * A base image without internet: an OCI image layout built from Debian's
 * busybox-static (`/bin/busybox`). One gzip layer holds `/bin/busybox`, a
 * symlink per applet (`/bin/sh`, `/bin/ls`, …), `/etc/passwd` and
 * `/etc/group` (root, nobody, and `app` 1000:1000 with home `/home/app`),
 * `/tmp` (1777) and `/root`. Every timestamp is 0, so the layer's diffID and
 * the config are the same on every run (the gzip bytes depend on the
 * runtime's zlib).
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { gzipSync } from "node:zlib";
import { createTarStream, type TarWriterEntry } from "../../src/archive/mod.ts";
import {
  defaultPlatform,
  type Descriptor,
  type Digest,
  type ImageConfig,
  type ImageManifest,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
  type Platform,
  serializeImageConfig,
  serializeIndex,
  serializeManifest,
} from "../../src/oci/mod.ts";

/** Where Debian's busybox-static installs the binary. */
export const BUSYBOX_PATH = "/bin/busybox";

/** The Debian package providing {@link BUSYBOX_PATH}. */
export const BUSYBOX_PACKAGE = "busybox-static";

/** The PATH of the fixture's config. */
export const BUSYBOX_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The fixed creation time of the fixture (SOURCE_DATE_EPOCH=0). */
export const BUSYBOX_CREATED = "1970-01-01T00:00:00Z";

/** Thrown when /bin/busybox is not installed. */
export class BusyboxMissingError extends Error {
  /** Builds the error. */
  constructor() {
    super(
      `${BUSYBOX_PATH} is not installed: install the Debian package ${BUSYBOX_PACKAGE} ` +
        `(apt-get install ${BUSYBOX_PACKAGE}; scripts/bootstrap.sh installs it)`,
    );
    this.name = "BusyboxMissingError";
  }
}

/** Whether /bin/busybox is installed and runs. */
export function busyboxAvailable(): boolean {
  try {
    return fs.statSync(BUSYBOX_PATH).isFile();
  } catch {
    return false;
  }
}

/** Options of {@link makeBusyboxLayout} and {@link writeBusyboxImage}. */
export interface BusyboxImageOptions {
  /** Architecture in the config (Go naming). Default: the host's. The binary is the host's. */
  arch?: string;
  /** CPU variant in the config (e.g. `v7` for arm). */
  variant?: string;
}

/** Options of {@link makeBusyboxLayout}. */
export interface BusyboxLayoutOptions extends BusyboxImageOptions {
  /**
   * The `org.opencontainers.image.ref.name` of the image in index.json.
   * Default `busybox` (so `skopeo inspect oci:DIR:busybox` finds it); the
   * entry also carries `io.containerd.image.name` =
   * `docker.io/library/busybox:latest`.
   */
  refName?: string;
}

/** What the fixture wrote. */
export interface BusyboxImage {
  /** The layout directory. */
  dir: string;
  /** Descriptor of the manifest, with the image's platform. */
  manifest: Descriptor & { platform: NonNullable<Descriptor["platform"]> };
  /** Digest of the manifest. */
  manifestDigest: Digest;
  /** Digest of the config. */
  configDigest: Digest;
  /** The config as written. */
  config: ImageConfig;
  /** The one layer. */
  layer: { mediaType: string; digest: Digest; size: number; diffId: string };
  /** The image's platform. */
  platform: Platform;
}

function sha256(bytes: Uint8Array): Digest {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}` as Digest;
}

/** Writes a blob into `DIR/blobs/sha256/` (if absent) and returns its digest and size. */
export function writeBlob(dir: string, bytes: Uint8Array): { digest: Digest; size: number } {
  const digest = sha256(bytes);
  const file = path.join(dir, "blobs", "sha256", digest.slice("sha256:".length));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file)) fs.writeFileSync(file, bytes);
  return { digest, size: bytes.byteLength };
}

/**
 * Writes `oci-layout` and `index.json` listing `manifests` (the blobs must
 * already be in the layout).
 */
export function writeLayoutIndex(dir: string, manifests: Descriptor[]): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  const text = serializeIndex({ schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests });
  fs.writeFileSync(path.join(dir, "index.json"), text);
}

function applets(): string[] {
  const r = spawnSync(BUSYBOX_PATH, ["--list"], { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(`${BUSYBOX_PATH} --list failed: ${r.stderr || r.error?.message}`);
  }
  return r.stdout.split("\n").map((s) => s.trim()).filter((s) =>
    s !== "" && s !== "busybox" && !s.includes("/")
  );
}

const PASSWD = [
  "root:x:0:0:root:/root:/bin/sh",
  "nobody:x:65534:65534:nobody:/nonexistent:/bin/false",
  "app:x:1000:1000:app:/home/app:/bin/sh",
  "",
].join("\n");

const GROUP = ["root:x:0:", "nogroup:x:65534:", "app:x:1000:", ""].join("\n");

interface Layer {
  tar: Uint8Array;
  gz: Uint8Array;
}

let cachedLayer: Layer | undefined;

async function buildLayer(): Promise<Layer> {
  if (cachedLayer !== undefined) return cachedLayer;
  if (!busyboxAvailable()) throw new BusyboxMissingError();
  const bin = new Uint8Array(fs.readFileSync(BUSYBOX_PATH));
  const enc = new TextEncoder();
  const dir = (name: string, mode = 0o755, owner = 0): TarWriterEntry => ({
    header: { name, type: "directory", mode, uid: owner, gid: owner, mtime: 0 },
  });
  const file = (name: string, data: Uint8Array, mode: number): TarWriterEntry => ({
    header: { name, type: "file", mode, size: data.byteLength, mtime: 0 },
    body: data,
  });
  const entries: TarWriterEntry[] = [
    dir("bin/"),
    file("bin/busybox", bin, 0o755),
    ...applets().map((a): TarWriterEntry => ({
      header: { name: `bin/${a}`, type: "symlink", linkname: "busybox", mode: 0o777, mtime: 0 },
    })),
    dir("etc/"),
    file("etc/group", enc.encode(GROUP), 0o644),
    file("etc/passwd", enc.encode(PASSWD), 0o644),
    dir("home/"),
    dir("home/app/", 0o755, 1000),
    dir("root/", 0o700),
    dir("tmp/", 0o1777),
  ];
  entries.sort((
    a,
    b,
  ) => (a.header.name < b.header.name ? -1 : a.header.name > b.header.name ? 1 : 0));
  const tar = new Uint8Array(await new Response(createTarStream(entries)).arrayBuffer());
  const gz = new Uint8Array(gzipSync(tar, { level: 9 }));
  cachedLayer = { tar, gz };
  return cachedLayer;
}

function hostArch(): Platform {
  return defaultPlatform(process.arch, process.platform);
}

/**
 * Writes the busybox image's blobs (layer, config, manifest) and the
 * `oci-layout` file into `dir`, without touching `index.json`. Use it to
 * assemble multi-platform layouts; {@link makeBusyboxLayout} does the rest.
 *
 * @throws {BusyboxMissingError} when /bin/busybox is not installed.
 */
export async function writeBusyboxImage(
  dir: string,
  options: BusyboxImageOptions = {},
): Promise<BusyboxImage> {
  const layer = await buildLayer();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  const host = hostArch();
  const platform: Platform = {
    os: "linux",
    architecture: options.arch ?? host.architecture,
  };
  const variant = options.variant ?? (options.arch === undefined ? host.variant : undefined);
  if (variant) platform.variant = variant;

  const diffId = sha256(layer.tar);
  const layerBlob = writeBlob(dir, layer.gz);
  const config: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: BUSYBOX_CREATED,
    config: { Env: [BUSYBOX_PATH_ENV], Cmd: ["sh"] },
    rootfs: { type: "layers", diff_ids: [diffId as string as never] },
    history: [{
      created: BUSYBOX_CREATED,
      created_by: `${BUSYBOX_PACKAGE}: ${BUSYBOX_PATH} with its applet links, /etc/passwd`,
      comment: "buildkit-ts test fixture",
    }],
  };
  const configBlob = writeBlob(dir, new TextEncoder().encode(serializeImageConfig(config)));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    config: { mediaType: MEDIA_TYPE_OCI_CONFIG, ...configBlob },
    layers: [{ mediaType: MEDIA_TYPE_OCI_LAYER_GZIP, ...layerBlob }],
  };
  const manifestBlob = writeBlob(dir, new TextEncoder().encode(serializeManifest(manifest)));
  const ociPlatform: NonNullable<Descriptor["platform"]> = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
  };
  return {
    dir,
    manifest: { mediaType: MEDIA_TYPE_OCI_MANIFEST, ...manifestBlob, platform: ociPlatform },
    manifestDigest: manifestBlob.digest,
    configDigest: configBlob.digest,
    config,
    layer: { mediaType: MEDIA_TYPE_OCI_LAYER_GZIP, ...layerBlob, diffId },
    platform,
  };
}

/**
 * Builds the busybox OCI layout in `dir` (created if needed), tagged
 * `busybox` (`org.opencontainers.image.ref.name`) and
 * `docker.io/library/busybox:latest` (`io.containerd.image.name`).
 *
 * @throws {BusyboxMissingError} when /bin/busybox is not installed.
 *
 * @example
 * ```ts ignore
 * import { makeBusyboxLayout } from "./busybox_image.ts";
 * const img = await makeBusyboxLayout("/tmp/busybox-layout");
 * console.log(img.manifestDigest);
 * ```
 */
export async function makeBusyboxLayout(
  dir: string,
  options: BusyboxLayoutOptions = {},
): Promise<BusyboxImage> {
  const img = await writeBusyboxImage(dir, options);
  const { platform: _platform, ...desc } = img.manifest;
  writeLayoutIndex(dir, [{
    ...desc,
    annotations: {
      "io.containerd.image.name": "docker.io/library/busybox:latest",
      "org.opencontainers.image.ref.name": options.refName ?? "busybox",
    },
  }]);
  return img;
}
