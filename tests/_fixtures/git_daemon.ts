// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * A Git repository for tests: a work tree whose commits are pushed to a bare
 * copy (`<served>/repo.git`) that `git daemon` serves on 127.0.0.1. Git runs
 * with no system or global config, so the host's settings cannot leak in.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";

/** The environment every git command of the tests runs with. */
export const GIT_ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)),
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
} as Record<string, string>;

/** Runs git in `cwd`, failing the test (with git's stderr) when it fails; returns stdout. */
export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", args, { cwd, encoding: "utf8", env: GIT_ENV });
  if (r.error) assert.fail(`git is needed by this test (apt-get install git): ${r.error.message}`);
  assert.equal(r.status, 0, `git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Writes `files` (relative path → content) under `root`, creating directories. */
export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), c);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A work tree plus the bare copy `git daemon` serves as `git://127.0.0.1:PORT/repo.git`. */
export class GitDaemonRepo {
  readonly root: string;
  readonly work: string;
  /** The directory git daemon serves (`repo.git` and any other bare repository put here). */
  readonly served: string;
  readonly bare: string;
  url = "";
  #daemon: ChildProcess | undefined;

  constructor(prefix = "bk-git-") {
    this.root = mkdtempSync(join(tmpdir(), prefix));
    this.work = join(this.root, "work");
    this.served = join(this.root, "srv");
    this.bare = join(this.served, "repo.git");
  }

  /**
   * Commits `files` on `main`, pushes it (and tags) to the bare copy, refreshes the
   * info files git's dumb HTTP needs, and returns the commit's sha.
   */
  commit(files: Record<string, string>, message: string): string {
    writeFiles(this.work, files);
    git(this.work, "add", "-A");
    git(this.work, "commit", "-q", "-m", message);
    git(this.work, "push", "-q", "--force", "--tags", this.bare, "main");
    git(this.bare, "update-server-info");
    return git(this.work, "rev-parse", "HEAD");
  }

  async start(): Promise<void> {
    mkdirSync(this.work, { recursive: true });
    mkdirSync(this.served, { recursive: true });
    git(this.work, "init", "-q", "-b", "main");
    git(this.served, "init", "-q", "--bare", "-b", "main", "repo.git");
    const port = await freePort();
    this.#daemon = spawn("git", [
      "daemon",
      "--export-all",
      "--reuseaddr",
      `--base-path=${this.served}`,
      "--listen=127.0.0.1",
      `--port=${port}`,
      this.served,
    ], { stdio: "ignore", env: GIT_ENV });
    this.url = `git://127.0.0.1:${port}/repo.git`;
    for (let i = 0; i < 100; i++) {
      if (spawnSync("git", ["ls-remote", this.url], { env: GIT_ENV }).status === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail("git daemon did not start");
  }

  stop(): void {
    this.#daemon?.kill();
  }
}
