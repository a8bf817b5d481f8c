// Copyright 2026 the buildkit-ts authors. MIT license.

import * as fsp from "node:fs/promises";

const CHUNK = 256 * 1024;

/**
 * A file as a web stream, read in 256 KiB chunks as the consumer pulls (never the
 * whole file in memory); the file is closed at the end or on cancel.
 *
 * @example
 * ```ts ignore
 * import { readFileStream } from "./file_stream.ts";
 * const text = await new Response(readFileStream("/etc/hostname")).text();
 * ```
 */
export function readFileStream(file: string): ReadableStream<Uint8Array> {
  let fh: fsp.FileHandle | undefined;
  return new ReadableStream<Uint8Array>({
    async start() {
      fh = await fsp.open(file, "r");
    },
    async pull(controller) {
      const buf = new Uint8Array(CHUNK);
      const { bytesRead } = await fh!.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) {
        await fh!.close();
        fh = undefined;
        controller.close();
        return;
      }
      controller.enqueue(bytesRead === CHUNK ? buf : buf.subarray(0, bytesRead));
    },
    async cancel() {
      await fh?.close();
      fh = undefined;
    },
  });
}
