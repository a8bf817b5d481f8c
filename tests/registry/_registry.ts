// Copyright 2026 the buildkit-ts authors. MIT license.

// Starts Debian's distribution registry (`docker-registry`) on a free
// 127.0.0.1 port with a config written here: without auth, with htpasswd
// (optionally behind TLS with a CA made here), or with token auth served by
// tests/registry/_token_server.ts. Reusable by other tests.

import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { startTokenServer, type TokenServer } from "./_token_server.ts";

/** The registry binary. */
export const REGISTRY_BIN = process.env.DOCKER_REGISTRY_BIN ?? "/usr/bin/docker-registry";

/** Why the registry cannot start here, or `undefined` when it can. */
export function registryUnavailable(): string | undefined {
  if (!fs.existsSync(REGISTRY_BIN)) {
    return `${REGISTRY_BIN} not found: apt-get install -y docker-registry apache2-utils`;
  }
  if (spawnSync("htpasswd", ["-h"]).error !== undefined) {
    return "htpasswd not found: apt-get install -y apache2-utils";
  }
  if (spawnSync("openssl", ["version"]).error !== undefined) return "openssl not found";
  return undefined;
}

/** Options of {@linkcode startRegistry}. */
export interface StartRegistryOptions {
  /** `htpasswd` (Basic) or `token` (bearer tokens from a test token server). */
  auth?: "htpasswd" | "token";
  /** Serve HTTPS with a certificate signed by a CA made for the test. */
  tls?: boolean;
  /** Token auth: let anonymous users pull. */
  anonymousPull?: boolean;
}

/** A running registry. */
export interface TestRegistry {
  /** `http(s)://127.0.0.1:<port>`. */
  url: string;
  /** `127.0.0.1:<port>`, the reference domain. */
  host: string;
  /** The CA certificate (PEM) when `tls`. */
  caPem: string | undefined;
  /** Directory holding the CA as `ca.crt` (skopeo's `--cert-dir`), when `tls`. */
  certDir: string | undefined;
  /** User and password when there is auth. */
  user: string;
  pass: string;
  /** The token server, for `auth: "token"`. */
  token: TokenServer | undefined;
  /** The registry's storage directory. */
  storage: string;
  /** Stops the registry (and the token server) and removes its files. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/** Makes a CA and a server certificate for 127.0.0.1/localhost in `dir`. */
export function makeTlsFiles(dir: string): { ca: string; cert: string; key: string } {
  // deno-fmt-ignore
  run("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=buildkit-ts test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  // deno-fmt-ignore
  run("openssl", [
    "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1",
  ], dir);
  fs.writeFileSync(
    path.join(dir, "ext.cnf"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n" +
      "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
  );
  // deno-fmt-ignore
  run("openssl", [
    "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
    "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf",
  ], dir);
  return {
    ca: path.join(dir, "ca.crt"),
    cert: path.join(dir, "server.crt"),
    key: path.join(dir, "server.key"),
  };
}

function waitForPort(port: number, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) {
        reject(new Error(`docker-registry exited: ${fs.readFileSync(log, "utf8").slice(-2000)}`));
        return;
      }
      const sock = net.connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.destroy();
        resolve();
      });
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error("docker-registry did not start in 15s"));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts a registry; call `stop()` when done. */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  const why = registryUnavailable();
  if (why !== undefined) throw new Error(`Cannot start a test registry: ${why}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bk-registry-"));
  const storage = path.join(dir, "storage");
  fs.mkdirSync(storage);
  const port = await freePort();
  const user = "tester";
  const pass = `p4ss-${Math.random().toString(36).slice(2, 10)}`;
  const lines = [
    "version: 0.1",
    "log:",
    "  level: warn",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${storage}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${port}`,
    "  secret: buildkit-ts-test-secret",
  ];
  let caPem: string | undefined;
  let certDir: string | undefined;
  if (options.tls) {
    const tls = makeTlsFiles(dir);
    caPem = fs.readFileSync(tls.ca, "utf8");
    certDir = path.join(dir, "certs");
    fs.mkdirSync(certDir);
    fs.copyFileSync(tls.ca, path.join(certDir, "ca.crt"));
    lines.push("  tls:", `    certificate: ${tls.cert}`, `    key: ${tls.key}`);
  }
  let token: TokenServer | undefined;
  if (options.auth === "htpasswd") {
    const file = path.join(dir, "htpasswd");
    fs.writeFileSync(file, run("htpasswd", ["-Bbn", user, pass], dir));
    lines.push("auth:", "  htpasswd:", "    realm: buildkit-ts-test", `    path: ${file}`);
  } else if (options.auth === "token") {
    // deno-fmt-ignore
    run("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "token.key", "-out", "token.crt",
      "-days", "2", "-subj", "/CN=buildkit-ts token issuer",
    ], dir);
    const service = "buildkit-ts-test-registry";
    token = await startTokenServer({
      user,
      pass,
      keyPem: fs.readFileSync(path.join(dir, "token.key"), "utf8"),
      certPem: fs.readFileSync(path.join(dir, "token.crt"), "utf8"),
      service,
      anonymousPull: options.anonymousPull ?? false,
    });
    lines.push(
      "auth:",
      "  token:",
      `    realm: ${token.realm}`,
      `    service: ${service}`,
      `    issuer: ${token.issuer}`,
      `    rootcertbundle: ${path.join(dir, "token.crt")}`,
    );
  }
  const config = path.join(dir, "config.yml");
  fs.writeFileSync(config, lines.join("\n") + "\n");
  const log = path.join(dir, "registry.log");
  const fd = fs.openSync(log, "a");
  const child = spawn(REGISTRY_BIN, ["serve", config], {
    stdio: ["ignore", fd, fd],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
  });
  fs.closeSync(fd);
  try {
    await waitForPort(port, child, log);
  } catch (e) {
    child.kill("SIGKILL");
    await token?.stop();
    throw e;
  }
  const host = `127.0.0.1:${port}`;
  return {
    url: `${options.tls ? "https" : "http"}://${host}`,
    host,
    caPem,
    certDir,
    user,
    pass,
    token,
    storage,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
      await token?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
