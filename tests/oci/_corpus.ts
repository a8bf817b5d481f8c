// Copyright 2026 the buildkit-ts authors. MIT license.
// Locates the shared conformance corpus for tests/oci (read in place, never copied).
import process from "node:process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The conformance folder. */
export const CONFORMANCE_DIR: string = process.env.BUILDKIT_CONFORMANCE_DIR ??
  resolve(here, "../../../shared/conformance");

/** The BuildKit exporter goldens folder. */
export const COMPAT_DIR: string = join(CONFORMANCE_DIR, "client/testdata/compatibility");

/** `undefined` when the goldens exist, else the skip message for node:test. */
export const COMPAT_SKIP: string | undefined = existsSync(COMPAT_DIR)
  ? undefined
  : `conformance corpus not found at ${COMPAT_DIR}`;

/** Every file named `name` under the goldens folder, sorted. */
export function goldens(name: string): string[] {
  if (COMPAT_SKIP !== undefined) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry === name) out.push(path);
    }
  };
  walk(COMPAT_DIR);
  return out;
}
