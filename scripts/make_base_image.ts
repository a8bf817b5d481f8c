// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Writes the busybox base image (an OCI layout built from Debian's
 * busybox-static, the same one the tests use) into a directory, for users and
 * CI that build without a registry:
 *
 * ```sh
 * deno run -A scripts/make_base_image.ts DIR [--arch=ARCH] [--ref-name=NAME]
 * skopeo inspect oci:DIR:busybox
 * ```
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { BusyboxMissingError, makeBusyboxLayout } from "../tests/_fixtures/busybox_image.ts";

const USAGE = "usage: make_base_image.ts DIR [--arch=ARCH] [--variant=V] [--ref-name=NAME]";

/** Runs the script with `args`; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        arch: { type: "string" },
        variant: { type: "string" },
        "ref-name": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const dir = parsed.positionals[0];
  if (dir === undefined || parsed.positionals.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const img = await makeBusyboxLayout(dir, {
      ...(parsed.values.arch !== undefined ? { arch: parsed.values.arch } : {}),
      ...(parsed.values.variant !== undefined ? { variant: parsed.values.variant } : {}),
      ...(parsed.values["ref-name"] !== undefined ? { refName: parsed.values["ref-name"] } : {}),
    });
    process.stdout.write(`${img.manifestDigest}\n`);
    return 0;
  } catch (e) {
    if (e instanceof BusyboxMissingError) {
      process.stderr.write(`make_base_image: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
