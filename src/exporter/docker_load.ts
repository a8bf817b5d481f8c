// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * `--load` (`-o type=docker` without dest): the image streamed to a running Docker
 * daemon's `POST /images/load` over its Unix socket, as buildx does.
 *
 * @module
 */

import type { Descriptor } from "../oci/mod.ts";
import type { ContentStore } from "../store/mod.ts";
import { fs, http, process } from "../runtime/mod.ts";
import { dockerArchiveStream } from "./docker_archive.ts";
import { ExportError } from "./errors.ts";

/** Options of {@linkcode loadIntoDocker}. */
export interface LoadIntoDockerOptions {
  store: ContentStore;
  descriptor: Descriptor;
  names: readonly string[];
  /** `unix:///path` or a socket path; default: $DOCKER_HOST, then /var/run/docker.sock. */
  host?: string;
}

/** The daemon socket to use, or an error saying why there is none. */
export function dockerSocket(host: string | undefined): string {
  const h = host ?? process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
  if (!h.startsWith("unix://") && !h.startsWith("/")) {
    throw new ExportError(
      `--load supports Docker daemons on a Unix socket only (DOCKER_HOST=${h}); use -o type=docker,dest=FILE.tar and docker load`,
    );
  }
  const path = h.startsWith("unix://") ? h.slice("unix://".length) : h;
  if (!fs.existsSync(path)) {
    throw new ExportError(
      `--load needs a running Docker daemon, but there is no socket at ${path} (set DOCKER_HOST, or use -o type=docker,dest=FILE.tar and docker load)`,
    );
  }
  return path;
}

/**
 * Streams the image as a docker archive to the daemon and waits for its answer.
 *
 * @throws {ExportError} when there is no daemon, or it refuses the image.
 */
export async function loadIntoDocker(options: LoadIntoDockerOptions): Promise<void> {
  const socketPath = dockerSocket(options.host);
  const { stream } = await dockerArchiveStream(options);
  await new Promise<void>((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        method: "POST",
        path: "/images/load?quiet=1",
        headers: { "Content-Type": "application/x-tar" },
      },
      (res) => {
        let body = "";
        res.on("data", (c: Uint8Array) => (body += new TextDecoder().decode(c)));
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          // The daemon streams JSON messages; an error can come inside a 200 response.
          const failed = status >= 300 || /"error(Detail)?"\s*:/.test(body);
          if (failed) {
            reject(
              new ExportError(
                `the Docker daemon refused the image (HTTP ${status}): ${body.slice(0, 500)}`,
              ),
            );
          } else resolve();
        });
        res.on("error", reject);
      },
    );
    req.on(
      "error",
      (e) =>
        reject(new ExportError(`cannot talk to the Docker daemon at ${socketPath}: ${e.message}`)),
    );
    (async () => {
      const reader = stream.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!req.write(value)) await new Promise((r) => req.once("drain", r));
      }
      req.end();
    })().catch((e) => {
      req.destroy(e);
      reject(e);
    });
  });
}
