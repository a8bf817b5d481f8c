// Copyright 2026 the buildkit-ts authors. MIT license.

import { familiarString, normalizeReference } from "../oci/mod.ts";
import { formatBytes } from "../progress/mod.ts";
import { parseArgs, type Runtime } from "../runtime/mod.ts";
import { diskUsage, parseSize, parseUntil, prune } from "../store/mod.ts";
import { usageFromParseArgs } from "./build_options.ts";
import { UsageError } from "./errors.ts";
import { openBuildStore } from "./plan.ts";
import { removeAllCacheMounts } from "./cache_mounts_command.ts";
import { fs, path } from "../runtime/mod.ts";
import { treeSize } from "../store/mod.ts";

/** Folders of the store that ADD's Git and HTTP sources fill. */
const SOURCE_CACHES = ["git", "http"];

function sizeOf(dir: string): number {
  return fs.existsSync(dir) ? treeSize(dir) : 0;
}

function sourceCacheBytes(root: string): number {
  return SOURCE_CACHES.reduce((n, d) => n + sizeOf(path.join(root, "cache", d)), 0);
}

const CACHE_DIR = { "cache-dir": { type: "string" } } as const;

type FlagSpec = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;
type FlagValues = Record<string, string | boolean | string[] | undefined>;

function parse(args: string[], options: FlagSpec): { values: FlagValues; positionals: string[] } {
  try {
    const r = parseArgs({
      args,
      options: { ...options, ...CACHE_DIR },
      allowPositionals: true,
      strict: true,
    });
    return { values: r.values as FlagValues, positionals: r.positionals };
  } catch (err) {
    throw usageFromParseArgs(err, [...Object.keys(options), "cache-dir"]);
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) =>
    r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join("").trimEnd()
  )
    .join("\n") + "\n";
}

/** `buildkit images`: the tagged images of the image store. */
export async function imagesCommand(args: string[], rt: Runtime): Promise<number> {
  const { values, positionals } = parse(args, { quiet: { type: "boolean", short: "q" } });
  if (positionals.length > 0) throw new UsageError(`"buildkit images" takes no arguments`);
  const store = openBuildStore(values["cache-dir"] as string | undefined, rt);
  const list = await store.images.list();
  if (values.quiet) {
    rt.writeStdout([...new Set(list.map((i) => i.digest))].map((d) => `${d}\n`).join(""));
    return 0;
  }
  const rows = [["REPOSITORY", "TAG", "DIGEST", "CREATED", "SIZE"]];
  for (const img of list.sort((a, b) => a.ref.localeCompare(b.ref))) {
    const familiar = familiarString(img.ref);
    const at = familiar.lastIndexOf(":");
    const slash = familiar.lastIndexOf("/");
    const [repo, tag] = at > slash
      ? [familiar.slice(0, at), familiar.slice(at + 1)]
      : [familiar, "<none>"];
    rows.push([repo, tag, img.digest.slice(7, 19), img.created ?? "", formatBytes(img.size)]);
  }
  rt.writeStdout(table(rows));
  return 0;
}

/** `buildkit rmi NAME...`: removes tags; the blobs go with the next prune. */
export async function rmiCommand(args: string[], rt: Runtime): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (positionals.length === 0) {
    throw new UsageError(`"buildkit rmi" requires at least 1 argument (an image name)`);
  }
  const store = openBuildStore(values["cache-dir"] as string | undefined, rt);
  let failed = 0;
  for (const name of positionals) {
    const ref = normalizeReference(name);
    if (await store.images.untag(ref)) rt.writeStdout(`Untagged: ${familiarString(ref)}\n`);
    else {
      rt.writeStderr(`ERROR: No such image: ${name}\n`);
      failed++;
    }
  }
  return failed > 0 ? 1 : 0;
}

/** `buildkit du`: what the store holds. */
export async function duCommand(args: string[], rt: Runtime): Promise<number> {
  const { values, positionals } = parse(args, { verbose: { type: "boolean", short: "v" } });
  if (positionals.length > 0) throw new UsageError(`"buildkit du" takes no arguments`);
  const store = openBuildStore(values["cache-dir"] as string | undefined, rt);
  const du = await diskUsage(store);
  if (values.verbose) {
    const rows = [["KIND", "ID", "IN USE", "SIZE", "LAST USED", "DESCRIPTION"]];
    for (const e of du.entries.sort((a, b) => b.size - a.size)) {
      rows.push([
        e.kind,
        e.id.replace(/^sha256:/, "").slice(0, 16),
        e.inUse ? "yes" : "",
        formatBytes(e.size),
        e.lastUsed,
        e.description ?? "",
      ]);
    }
    rt.writeStdout(table(rows));
  }
  const t = du.totals;
  rt.writeStdout(
    table([
      ["Blobs:", formatBytes(t.blobs)],
      ["Snapshots:", formatBytes(t.snapshots)],
      ["Cache records:", formatBytes(t.cacheRecords)],
      ["Leftovers:", formatBytes(t.temp)],
      ["Cache mounts:", formatBytes(sizeOf(path.join(store.root, "cache-mounts")))],
      ["Git/HTTP source caches:", formatBytes(sourceCacheBytes(store.root))],
      ["Reclaimable:", formatBytes(t.reclaimable)],
      ["Total:", formatBytes(t.total)],
    ]),
  );
  return 0;
}

/** `buildkit prune [--all] [--keep-storage SIZE] [--filter until=DURATION]`. */
export async function pruneCommand(args: string[], rt: Runtime): Promise<number> {
  const { values, positionals } = parse(args, {
    all: { type: "boolean", short: "a" },
    "keep-storage": { type: "string" },
    filter: { type: "string", multiple: true },
    force: { type: "boolean", short: "f" },
    verbose: { type: "boolean", short: "v" },
  });
  if (positionals.length > 0) throw new UsageError(`"buildkit prune" takes no arguments`);
  let until: number | undefined;
  for (const f of (values.filter as string[] | undefined) ?? []) {
    const m = /^until=(.+)$/.exec(f);
    if (!m) {
      throw new UsageError(`invalid --filter "${f}" (supported: until=DURATION, e.g. until=24h)`);
    }
    try {
      until = parseUntil(m[1]!);
    } catch (err) {
      throw new UsageError(`invalid --filter "${f}": ${err instanceof Error ? err.message : err}`);
    }
  }
  let keepStorage: number | undefined;
  if (values["keep-storage"] !== undefined) {
    try {
      keepStorage = parseSize(values["keep-storage"] as string);
    } catch (err) {
      throw new UsageError(`invalid --keep-storage: ${err instanceof Error ? err.message : err}`);
    }
  }
  const store = openBuildStore(values["cache-dir"] as string | undefined, rt);
  const r = await prune(store, {
    ...(values.all ? { all: true } : {}),
    ...(keepStorage !== undefined ? { keepStorage } : {}),
    ...(until !== undefined ? { until } : {}),
  });
  if (values.verbose) {
    for (const e of r.removed) {
      rt.writeStdout(`deleted ${e.kind} ${e.id} ${formatBytes(e.size)}\n`);
    }
  }
  let freed = r.freed;
  let entries = r.removed.length;
  if (values.all && until === undefined && keepStorage === undefined) {
    // --all also empties RUN --mount=type=cache directories, as BuildKit's prune does.
    const cm = removeAllCacheMounts(store.root);
    freed += cm.bytes;
    entries += cm.count;
    // And the Git repositories and HTTP validators kept for ADD of remote sources.
    for (const d of SOURCE_CACHES) {
      const dir = path.join(store.root, "cache", d);
      freed += sizeOf(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    if (values.verbose && cm.count > 0) {
      rt.writeStdout(`deleted ${cm.count} cache mount(s) ${formatBytes(cm.bytes)}\n`);
    }
  }
  rt.writeStdout(`Total: ${formatBytes(freed)} reclaimed (${entries} entries)\n`);
  return 0;
}
