// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Registry credentials as Docker and Podman keep them: `config.json`
 * (`auths`, `credHelpers`, `credsStore`, the latter two through
 * `docker-credential-<name>` helpers) and Podman's `auth.json`
 * (`REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`).
 *
 * Lookup order (go-containerregistry's merged keychain): `$DOCKER_CONFIG/config.json`
 * (else `~/.docker/config.json`), then `$REGISTRY_AUTH_FILE`, then
 * `$XDG_RUNTIME_DIR/containers/auth.json`, then `$XDG_CONFIG_HOME/containers/auth.json`;
 * the first file with an entry for the registry wins. An explicit `authFile`
 * (Podman's `--authfile`) replaces the list.
 *
 * @module
 */

import { fs, os, path, process, spawn } from "../runtime/mod.ts";
import type { Credentials } from "./auth.ts";
import { credentialKey, DOCKER_HUB_AUTH_KEY, hostOfKey } from "./reference_host.ts";
import { redact } from "./redact.ts";

/** The result of running a credential helper. */
export interface HelperResult {
  /** Exit status. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Runs `docker-credential-<helper> <action>` with `input` on stdin. */
export type HelperRunner = (helper: string, action: string, input: string) => Promise<HelperResult>;

/** Where credentials are looked up and written. */
export interface CredentialOptions {
  /** Environment (default: the process environment). */
  env?: Record<string, string | undefined>;
  /** Home directory (default: the user's). */
  home?: string;
  /** An explicit auth file (Podman's `--authfile`); replaces the lookup list. */
  authFile?: string;
  /** Runs credential helpers (default: spawns `docker-credential-<name>` from `PATH`). */
  runHelper?: HelperRunner;
}

/** Thrown when a credential file or helper fails; never holds a secret. */
export class CredentialError extends Error {
  /** Builds the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(redact(message), options);
    this.name = "CredentialError";
  }
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  email?: string;
}

interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [key: string]: unknown;
}

function envOf(options: CredentialOptions): Record<string, string | undefined> {
  return options.env ?? process.env;
}

function homeOf(options: CredentialOptions): string {
  return options.home ?? envOf(options).HOME ?? os.homedir();
}

/**
 * The Docker config file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
 *
 * @example
 * ```ts
 * import { dockerConfigPath } from "./credentials.ts";
 * console.assert(dockerConfigPath({ env: { DOCKER_CONFIG: "/c" } }) === "/c/config.json");
 * ```
 */
export function dockerConfigPath(options: CredentialOptions = {}): string {
  const dir = envOf(options).DOCKER_CONFIG;
  if (dir !== undefined && dir !== "") return path.join(dir, "config.json");
  return path.join(homeOf(options), ".docker", "config.json");
}

/**
 * The files searched for credentials, in order (see the module doc).
 *
 * @example
 * ```ts
 * import { credentialFiles } from "./credentials.ts";
 * const files = credentialFiles({ env: { REGISTRY_AUTH_FILE: "/a.json" }, home: "/h" });
 * console.assert(files[0] === "/h/.docker/config.json" && files[1] === "/a.json");
 * ```
 */
export function credentialFiles(options: CredentialOptions = {}): string[] {
  if (options.authFile !== undefined) return [options.authFile];
  const env = envOf(options);
  const out = [dockerConfigPath(options)];
  if (env.REGISTRY_AUTH_FILE) out.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) out.push(path.join(env.XDG_RUNTIME_DIR, "containers", "auth.json"));
  const xdgConfig = env.XDG_CONFIG_HOME || path.join(homeOf(options), ".config");
  out.push(path.join(xdgConfig, "containers", "auth.json"));
  return out;
}

function readConfig(file: string): ConfigFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return undefined;
    throw new CredentialError(`Cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  if (text.trim() === "") return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new Error("not a JSON object");
    }
    return value as ConfigFile;
  } catch {
    // The parser's message may quote the file, secrets included: keep only the file name.
    throw new CredentialError(`Cannot parse ${file}: it is not a valid JSON object`);
  }
}

function isHub(host: string): boolean {
  return host === "docker.io" || host === "index.docker.io" || host === "registry-1.docker.io";
}

/** Keys of `auths` that apply to `domain/repository`, most specific first. */
function matchingKeys(
  auths: Record<string, unknown>,
  domain: string,
  repository: string | undefined,
): string[] {
  const hub = isHub(domain);
  const scored: [number, string][] = [];
  for (const key of Object.keys(auths)) {
    const bare = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\/+$/, "");
    const host = hostOfKey(key);
    const sameHost = host === domain || (hub && isHub(host));
    if (!sameHost) continue;
    const rest = bare.slice(host.length).replace(/^\//, "");
    if (rest === "" || rest === "v1" || rest === "v2") scored.push([0, key]);
    else if (
      repository !== undefined && (repository === rest || repository.startsWith(rest + "/"))
    ) {
      scored.push([rest.length, key]);
    }
  }
  scored.sort((a, b) => b[0] - a[0] || (a[1] === DOCKER_HUB_AUTH_KEY ? -1 : 0));
  return scored.map(([, k]) => k);
}

function decodeEntry(entry: AuthEntry, file: string, key: string): Credentials | undefined {
  const out: Credentials = {};
  if (typeof entry.auth === "string" && entry.auth !== "") {
    let text: string;
    try {
      text = new TextDecoder().decode(Uint8Array.from(atob(entry.auth), (c) => c.charCodeAt(0)));
    } catch {
      throw new CredentialError(`The "auth" of ${JSON.stringify(key)} in ${file} is not base64`);
    }
    const colon = text.indexOf(":");
    if (colon < 0) {
      throw new CredentialError(
        `The "auth" of ${JSON.stringify(key)} in ${file} is not base64 of user:password`,
      );
    }
    out.username = text.slice(0, colon);
    out.password = text.slice(colon + 1);
  } else if (typeof entry.username === "string" && typeof entry.password === "string") {
    out.username = entry.username;
    out.password = entry.password;
  }
  if (typeof entry.identitytoken === "string" && entry.identitytoken !== "") {
    out.identityToken = entry.identitytoken;
  }
  if (typeof entry.registrytoken === "string" && entry.registrytoken !== "") {
    out.registryToken = entry.registrytoken;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Runs a credential helper as Docker does: `docker-credential-<name>
 * <action>`, the payload on stdin.
 */
export function runCredentialHelper(
  helper: string,
  action: string,
  input: string,
  options: { env?: Record<string, string | undefined> } = {},
): Promise<HelperResult> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) {
    return Promise.reject(new CredentialError(`Invalid credential helper name ${helper}`));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${helper}`, [action], {
      stdio: ["pipe", "pipe", "pipe"],
      env: (options.env ?? process.env) as Record<string, string>,
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stdout!.on("data", (d: string) => (stdout += d));
    child.stderr!.on("data", (d: string) => (stderr += d));
    child.on("error", (e: Error) => {
      reject(
        new CredentialError(
          `Cannot run the credential helper docker-credential-${helper}: ${e.message}`,
          { cause: e },
        ),
      );
    });
    child.on("close", (code: number | null) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin!.on("error", () => {});
    child.stdin!.end(input);
  });
}

function helperRunner(options: CredentialOptions): HelperRunner {
  if (options.runHelper !== undefined) return options.runHelper;
  const env = envOf(options);
  return (helper, action, input) => runCredentialHelper(helper, action, input, { env });
}

const NOT_FOUND_RE = /credentials not found|not found in native keychain|no credentials/i;

async function helperGet(
  helper: string,
  serverUrl: string,
  options: CredentialOptions,
): Promise<Credentials | undefined> {
  const r = await helperRunner(options)(helper, "get", serverUrl);
  if (r.code !== 0) {
    if (NOT_FOUND_RE.test(r.stdout + r.stderr)) return undefined;
    throw new CredentialError(
      `docker-credential-${helper} get failed (exit ${r.code}): ${
        (r.stderr || r.stdout).trim().slice(0, 200)
      }`,
    );
  }
  let value: { Username?: unknown; Secret?: unknown };
  try {
    value = JSON.parse(r.stdout) as typeof value;
  } catch {
    throw new CredentialError(`docker-credential-${helper} get printed something that is not JSON`);
  }
  const user = typeof value.Username === "string" ? value.Username : "";
  const secret = typeof value.Secret === "string" ? value.Secret : "";
  if (secret === "") return undefined;
  if (user === "<token>") return { identityToken: secret };
  return { username: user, password: secret };
}

/** Options of {@linkcode resolveCredentials}. */
export interface ResolveCredentialsOptions extends CredentialOptions {
  /** The repository, for Podman's per-repository `auth.json` keys. */
  repository?: string;
}

/**
 * Finds the credentials for a registry domain (`docker.io`,
 * `127.0.0.1:5000`): per-registry `credHelpers` first, then `credsStore`,
 * then the `auths` entry, file by file (see the module doc). Resolves to
 * `undefined` for anonymous access.
 *
 * @throws {CredentialError} for an unreadable file or a failing helper.
 */
export async function resolveCredentials(
  domain: string,
  options: ResolveCredentialsOptions = {},
): Promise<Credentials | undefined> {
  const serverUrl = credentialKey(domain);
  const host = isHub(domain) ? "docker.io" : domain;
  for (const file of credentialFiles(options)) {
    const config = readConfig(file);
    if (config === undefined) continue;
    const helpers = config.credHelpers ?? {};
    const helperKey = Object.keys(helpers).find((k) =>
      k === serverUrl || hostOfKey(k) === domain || (isHub(host) && isHub(hostOfKey(k)))
    );
    if (helperKey !== undefined && helpers[helperKey]) {
      const c = await helperGet(helpers[helperKey]!, serverUrl, options);
      if (c !== undefined) return c;
    }
    const auths = config.auths ?? {};
    const keys = matchingKeys(auths, host, options.repository);
    if (typeof config.credsStore === "string" && config.credsStore !== "") {
      const c = await helperGet(config.credsStore, serverUrl, options);
      if (c !== undefined) return c;
    }
    for (const key of keys) {
      const c = decodeEntry(auths[key] ?? {}, file, key);
      if (c !== undefined) return c;
    }
  }
  return undefined;
}

function writeConfig(file: string, config: ConfigFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(config, null, "\t") + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
}

function targetFile(options: CredentialOptions): string {
  return options.authFile ?? dockerConfigPath(options);
}

/**
 * Stores credentials for a registry as `docker login` does: through the
 * registry's `credHelpers` entry or the `credsStore` helper when the config
 * names one (leaving an empty `auths` entry, as Docker does), else as
 * base64 `auth` (or `identitytoken`) in `auths`. Writes
 * `$DOCKER_CONFIG/config.json` (or `authFile`) atomically with mode 0600.
 *
 * @returns the file written.
 * @throws {CredentialError} when a helper fails.
 */
export async function saveCredentials(
  domain: string,
  credentials: Credentials,
  options: CredentialOptions = {},
): Promise<string> {
  const file = targetFile(options);
  const config = readConfig(file) ?? {};
  const key = credentialKey(domain);
  const helper = config.credHelpers?.[key] ?? config.credHelpers?.[domain] ??
    (typeof config.credsStore === "string" && config.credsStore !== ""
      ? config.credsStore
      : undefined);
  const auths = { ...(config.auths ?? {}) };
  if (helper !== undefined) {
    const payload = credentials.identityToken !== undefined
      ? { ServerURL: key, Username: "<token>", Secret: credentials.identityToken }
      : {
        ServerURL: key,
        Username: credentials.username ?? "",
        Secret: credentials.password ?? "",
      };
    const r = await helperRunner(options)(helper, "store", JSON.stringify(payload));
    if (r.code !== 0) {
      throw new CredentialError(
        `docker-credential-${helper} store failed (exit ${r.code}): ${
          (r.stderr || r.stdout).trim().slice(0, 200)
        }`,
      );
    }
    if (config.credHelpers?.[key] === undefined && config.credHelpers?.[domain] === undefined) {
      auths[key] = {};
    }
  } else {
    const entry: AuthEntry = {};
    if (credentials.username !== undefined && credentials.password !== undefined) {
      const bytes = new TextEncoder().encode(`${credentials.username}:${credentials.password}`);
      entry.auth = btoa(String.fromCharCode(...bytes));
    } else if (credentials.username !== undefined) {
      entry.username = credentials.username;
    }
    if (credentials.identityToken !== undefined) entry.identitytoken = credentials.identityToken;
    if (credentials.registryToken !== undefined) entry.registrytoken = credentials.registryToken;
    auths[key] = entry;
  }
  writeConfig(file, { ...config, auths });
  return file;
}

/**
 * Removes a registry's credentials as `docker logout` does: erases them from
 * the helper in charge and drops the `auths` entry.
 *
 * @returns whether there was anything to remove.
 * @throws {CredentialError} when a helper fails for another reason than "not found".
 */
export async function removeCredentials(
  domain: string,
  options: CredentialOptions = {},
): Promise<boolean> {
  const file = targetFile(options);
  const config = readConfig(file);
  if (config === undefined) return false;
  const key = credentialKey(domain);
  let removed = false;
  const helper = config.credHelpers?.[key] ?? config.credHelpers?.[domain] ??
    (typeof config.credsStore === "string" && config.credsStore !== ""
      ? config.credsStore
      : undefined);
  if (helper !== undefined) {
    const r = await helperRunner(options)(helper, "erase", key);
    if (r.code === 0) removed = true;
    else if (!NOT_FOUND_RE.test(r.stdout + r.stderr)) {
      throw new CredentialError(
        `docker-credential-${helper} erase failed (exit ${r.code}): ${
          (r.stderr || r.stdout).trim().slice(0, 200)
        }`,
      );
    }
  }
  const auths = { ...(config.auths ?? {}) };
  for (const k of Object.keys(auths)) {
    if (k === key || k === domain || hostOfKey(k) === domain) {
      delete auths[k];
      removed = true;
    }
  }
  writeConfig(file, { ...config, auths });
  return removed;
}
