// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Which snapshot holds the file tree of a layer chain, by chain ID (containerd's
 * rule: chain(1) = diffID(1), chain(n) = sha256(chain(n-1) + " " + diffID(n))), so
 * that a tree made once from layers is reused by every result with the same layers.
 *
 * @module
 */

import { createHash, fs, path, process } from "../runtime/mod.ts";

/** Chain IDs of every prefix of a list of diffIDs. */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  let prev: string | undefined;
  for (const d of diffIds) {
    prev = prev === undefined
      ? d
      : `sha256:${createHash("sha256").update(`${prev} ${d}`).digest("hex")}`;
    out.push(prev);
  }
  return out;
}

/** A small on-disk map chain ID → snapshot id. */
export class ChainIndex {
  readonly dir: string;
  constructor(root: string) {
    this.dir = path.join(root, "cache", "chains");
    fs.mkdirSync(this.dir, { recursive: true });
  }

  get(chainId: string): string | undefined {
    try {
      return fs.readFileSync(this.#file(chainId), "utf8").trim() || undefined;
    } catch {
      return undefined;
    }
  }

  set(chainId: string, snapshotId: string): void {
    const file = this.#file(chainId);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, snapshotId);
    fs.renameSync(tmp, file);
  }

  #file(chainId: string): string {
    return path.join(this.dir, chainId.replace(/^sha256:/, ""));
  }
}
