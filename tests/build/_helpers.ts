// Shared helpers for end-to-end build tests: a context on disk, a store in a temp dir,
// and the checkers (skopeo, umoci) that every exported image goes through.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { type BuildOutcome, type BuildSettings, runBuild } from "../../src/build/mod.ts";
import { parseOutputs } from "../../src/exporter/mod.ts";
import type { ProgressEvent } from "../../src/progress/mod.ts";
import { openStore, type Store } from "../../src/store/mod.ts";

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes files (path → content; a trailing `/` makes a directory). */
export function writeTree(root: string, files: Record<string, string>): string {
  for (const [p, content] of Object.entries(files)) {
    const full = join(root, p);
    if (p.endsWith("/")) mkdirSync(full, { recursive: true });
    else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }
  return root;
}

export interface TestBuild {
  outcome: BuildOutcome;
  events: ProgressEvent[];
  /** Progress names of the vertices that ran (not cached), internal steps left out. */
  ran: string[];
}

/** Runs a build in-process. */
export async function build(
  contextDir: string,
  store: Store,
  options: Partial<BuildSettings> & { dockerfile?: string; output?: string[] } = {},
): Promise<TestBuild> {
  const { dockerfile: text, output, ...rest } = options;
  const dockerfile = text ?? readFileSync(join(contextDir, "Dockerfile"), "utf8");
  const events: ProgressEvent[] = [];
  const outcome = await runBuild(
    { dockerfile: { name: "Dockerfile", data: new TextEncoder().encode(dockerfile) }, contextDir },
    {
      buildArgs: {},
      platforms: [],
      buildPlatform: { os: "linux", architecture: "amd64" },
      buildContexts: {},
      tags: [],
      outputs: parseOutputs(output ?? []),
      noCache: false,
      noCacheFilter: [],
      labels: {},
      annotations: {},
      excludePatterns: [],
      concurrency: 2,
      ...rest,
    },
    { store, progress: { write: (e) => events.push(e), close() {} }, cwd: contextDir },
  );
  const names = new Map<string, string>();
  for (const e of events) if (e.type === "vertex.started") names.set(e.digest, e.name);
  const ran: string[] = [];
  for (const e of events) {
    if (e.type === "vertex.completed" && !e.cached && !e.digest.startsWith("internal:")) {
      ran.push(names.get(e.digest) ?? e.digest);
    }
  }
  return { outcome, events, ran };
}

export function newStore(): Store {
  return openStore(join(tempDir("bk-store-"), "store"));
}

/** Runs a checker tool; fails the test saying what to install when it is missing. */
export function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error && (r.error as Error & { code?: string }).code === "ENOENT") {
    assert.fail(
      `${cmd} is needed by this test (apt-get install ${cmd}; scripts/bootstrap.sh does it)`,
    );
  }
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/** A listing of a tree: `d mode path`, `f mode path "content"`, `l path -> target`, sorted. */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, p));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out.push(`d ${mode} ${p}`);
        walk(p);
      } else if (st.isSymbolicLink()) out.push(`l ${p} -> ${readlinkSync(join(root, p))}`);
      else out.push(`f ${mode} ${p} ${JSON.stringify(readFileSync(join(root, p), "utf8"))}`);
    }
  };
  walk("");
  return out;
}

/** Unpacks an OCI layout directory with umoci and returns the rootfs listing. */
export function umociTree(layoutDir: string, tag: string): string[] {
  const bundle = join(tempDir("bk-umoci-"), "bundle");
  const rootless = typeof process.getuid === "function" && process.getuid() !== 0
    ? ["--rootless"]
    : [];
  tool("umoci", ["unpack", ...rootless, "--image", `${layoutDir}:${tag}`, bundle]);
  return listTree(join(bundle, "rootfs"));
}
