// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The runtime adapter: the only code in the project that touches `node:*`,
 * `Deno.*` or `Bun.*`. Everything else receives a {@linkcode Runtime}.
 *
 * Deno and Bun both implement the `node:` built-ins used here, so one
 * implementation serves both, and the `bun build --compile` binary too.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";

/** Operating system and CPU architecture of the host, in OCI spelling. */
export interface HostPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

/** What a file is, from lstat. */
export interface FileInfo {
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
}

/** The host services the builder needs, passed down instead of imported. */
export interface Runtime {
  /** `deno`, `bun` or `node`, and its version. */
  readonly name: string;
  readonly version: string;
  /** Command-line arguments after the program (and script) name. */
  args(): string[];
  env(name: string): string | undefined;
  cwd(): string;
  hostPlatform(): HostPlatform;
  readFile(path: string): Promise<Uint8Array>;
  readTextFile(path: string): Promise<string>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** lstat; `undefined` when the path does not exist. */
  lstat(path: string): FileInfo | undefined;
  readdir(path: string): string[];
  readlink(path: string): string;
  readStdin(): Promise<Uint8Array>;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  isTerminal(stream: "stdout" | "stderr"): boolean;
  resolvePath(...parts: string[]): string;
  /** The whole environment. */
  envAll(): Record<string, string | undefined>;
  homeDir(): string;
  /** Number of CPU cores. */
  cpuCount(): number;
  /** Terminal width of stderr, or undefined. */
  columns(): number | undefined;
  /** Calls `fn` on the signal; returns a function that removes the handler. */
  onSignal(signal: "SIGINT" | "SIGTERM", fn: () => void): () => void;
}

function toInfo(st: fs.Stats): FileInfo {
  return {
    isFile: st.isFile(),
    isDirectory: st.isDirectory(),
    isSymlink: st.isSymbolicLink(),
    size: st.size,
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    mtimeMs: st.mtimeMs,
  };
}

function detectName(): { name: string; version: string } {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.deno) return { name: "deno", version: versions.deno };
  if (versions.bun) return { name: "bun", version: versions.bun };
  return { name: "node", version: process.versions.node };
}

const ARCH: Record<string, string> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
};

/** Creates the runtime adapter for the current process. */
export function createRuntime(): Runtime {
  const { name, version } = detectName();
  return {
    name,
    version,
    args: () => process.argv.slice(2),
    env: (key) => process.env[key],
    cwd: () => process.cwd(),
    hostPlatform: () => {
      const architecture = ARCH[process.arch] ?? process.arch;
      const p: HostPlatform = {
        os: process.platform === "win32" ? "windows" : process.platform,
        architecture,
      };
      if (architecture === "arm") p.variant = "v7";
      return p;
    },
    readFile: async (p) => new Uint8Array(await fsp.readFile(p)),
    readTextFile: (p) => fsp.readFile(p, "utf8"),
    writeFile: (p, data) => fsp.writeFile(p, data),
    lstat: (p) => {
      try {
        return toInfo(fs.lstatSync(p));
      } catch (err) {
        if ((err as { code?: string }).code === "ENOENT") return undefined;
        throw err;
      }
    },
    readdir: (p) => fs.readdirSync(p),
    readlink: (p) => fs.readlinkSync(p),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
      return new Uint8Array(Buffer.concat(chunks));
    },
    writeStdout: (text) => {
      process.stdout.write(text);
    },
    writeStderr: (text) => {
      process.stderr.write(text);
    },
    isTerminal: (stream) => Boolean(process[stream].isTTY),
    resolvePath: (...parts) => path.resolve(...parts),
    envAll: () => ({ ...process.env }),
    homeDir: () => os.homedir(),
    cpuCount: () => os.cpus().length || 1,
    columns: () => process.stderr.columns,
    onSignal: (signal, fn) => {
      process.on(signal, fn);
      return () => {
        process.off(signal, fn);
      };
    },
  };
}

/** Sets the exit code and lets pending output drain before the process ends. */
export function setExitCode(code: number): void {
  process.exitCode = code;
}
