// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * `buildkit cache-mounts ls|export|import|rm`: the contents of `RUN --mount=type=cache`
 * directories, which BuildKit keeps only on the machine that ran the build. Exporting
 * them to a tar file and importing it on a fresh CI runner gives later builds a warm
 * cache (package manager downloads, compiler caches).
 *
 * The tar holds one top-level directory per cache mount, named by the sha256 of its id,
 * with a `<hash>.id` file next to it holding the id itself.
 *
 * @module
 */

import { applyLayer } from "../archive/mod.ts";
import { exportTar } from "../exporter/mod.ts";
import { formatBytes } from "../progress/mod.ts";
import { createHash, fs, path, readFileStream, type Runtime } from "../runtime/mod.ts";
import { cloneTree, treeSize } from "../store/mod.ts";
import { UsageError } from "./errors.ts";
import { openBuildStore } from "./plan.ts";
import { parseArgs } from "../runtime/mod.ts";
import { usageFromParseArgs } from "./build_options.ts";

interface CacheMountInfo {
  hash: string;
  id: string;
  dir: string;
}

function listMounts(root: string): CacheMountInfo[] {
  const base = path.join(root, "cache-mounts");
  if (!fs.existsSync(base)) return [];
  const out: CacheMountInfo[] = [];
  for (const name of fs.readdirSync(base).sort()) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    const idFile = path.join(base, `${name}.id`);
    const id = fs.existsSync(idFile) ? fs.readFileSync(idFile, "utf8") : "(unknown id)";
    out.push({ hash: name, id, dir: path.join(base, name) });
  }
  return out;
}

/** Removes every cache mount; returns the bytes freed (for `buildkit prune --all`). */
export function removeAllCacheMounts(root: string): { count: number; bytes: number } {
  let bytes = 0;
  const all = listMounts(root);
  for (const m of all) {
    bytes += treeSize(m.dir);
    fs.rmSync(m.dir, { recursive: true, force: true });
    fs.rmSync(`${m.dir}.id`, { force: true });
  }
  return { count: all.length, bytes };
}

/** Runs `buildkit cache-mounts SUBCOMMAND`. */
export async function cacheMountsCommand(args: string[], rt: Runtime): Promise<number> {
  const [sub, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { "cache-dir": { type: "string" }, id: { type: "string", multiple: true } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw usageFromParseArgs(err, ["cache-dir", "id"]);
  }
  const store = openBuildStore(parsed.values["cache-dir"], rt);
  const mounts = listMounts(store.root);
  const wanted = parsed.values.id;
  const selected = wanted ? mounts.filter((m) => wanted.includes(m.id)) : mounts;
  switch (sub) {
    case "ls": {
      rt.writeStdout(`${"ID".padEnd(40)} SIZE\n`);
      for (const m of mounts) {
        rt.writeStdout(`${m.id.padEnd(40)} ${formatBytes(treeSize(m.dir))}\n`);
      }
      return 0;
    }
    case "export": {
      const dest = parsed.positionals[0];
      if (dest === undefined) {
        throw new UsageError(`"buildkit cache-mounts export" requires a file (or - for stdout)`);
      }
      if (wanted && selected.length !== wanted.length) {
        throw new UsageError(
          `no cache mount with id ${
            wanted.filter((w) => !mounts.some((m) => m.id === w)).join(", ")
          }`,
        );
      }
      // Stage the selected mounts under one directory (hardlinks: no copy of the data).
      const stage = fs.mkdtempSync(path.join(store.root, "tmp-cache-export-"));
      try {
        for (const m of selected) {
          fs.writeFileSync(path.join(stage, `${m.hash}.id`), m.id);
          cloneTree(m.dir, path.join(stage, m.hash));
        }
        await exportTar(stage, dest);
      } finally {
        fs.rmSync(stage, { recursive: true, force: true });
      }
      if (dest !== "-") rt.writeStderr(`exported ${selected.length} cache mount(s) to ${dest}\n`);
      return 0;
    }
    case "import": {
      const src = parsed.positionals[0];
      if (src === undefined) throw new UsageError(`"buildkit cache-mounts import" requires a file`);
      const stage = fs.mkdtempSync(path.join(store.root, "tmp-cache-import-"));
      try {
        await applyLayer(fs.existsSync(src) ? readFileStream(src) : missing(src), stage);
        const base = path.join(store.root, "cache-mounts");
        fs.mkdirSync(base, { recursive: true });
        let n = 0;
        for (const name of fs.readdirSync(stage)) {
          if (!/^[0-9a-f]{64}$/.test(name)) continue;
          const idFile = path.join(stage, `${name}.id`);
          const id = fs.existsSync(idFile) ? fs.readFileSync(idFile, "utf8") : undefined;
          if (id !== undefined && createHash("sha256").update(id).digest("hex") !== name) {
            throw new UsageError(`${src}: cache mount ${name} does not match its id "${id}"`);
          }
          // Replace what is there: the imported contents win.
          fs.rmSync(path.join(base, name), { recursive: true, force: true });
          fs.renameSync(path.join(stage, name), path.join(base, name));
          if (id !== undefined) fs.writeFileSync(path.join(base, `${name}.id`), id);
          n++;
        }
        rt.writeStderr(`imported ${n} cache mount(s) from ${src}\n`);
      } finally {
        fs.rmSync(stage, { recursive: true, force: true });
      }
      return 0;
    }
    case "rm": {
      for (const m of selected) {
        fs.rmSync(m.dir, { recursive: true, force: true });
        fs.rmSync(`${m.dir}.id`, { force: true });
      }
      rt.writeStdout(`removed ${selected.length} cache mount(s)\n`);
      return 0;
    }
  }
  throw new UsageError(
    `unknown cache-mounts command${sub ? ` "${sub}"` : ""}: expected ls, export, import or rm`,
  );
}

function missing(file: string): never {
  throw new UsageError(`cannot read ${file}: no such file`);
}
