// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The HTTP source (`http://…`, `https://…` identifiers; `ADD <url>`): the file at a
 * URL becomes a snapshot holding that single file.
 *
 * Rules (BuildKit's `source/http`):
 * - the cache key is made of the file name, perm, uid, gid, the digest of the
 *   content and its `Last-Modified` time, so the content must be fetched to know
 *   the key. With a pinned `http.checksum` the key is the checksum and nothing is
 *   fetched until the step runs (then the download is verified against it);
 * - downloads stream into the content store, hashed on the way; each response's
 *   `ETag`/`Last-Modified` is remembered under `<store>/cache/http/` so that a
 *   later build asks with `If-None-Match`/`If-Modified-Since` and an unchanged
 *   URL (304) is not downloaded again;
 * - the file is named after `http.filename`, else the response's
 *   `Content-Disposition` file name, else the URL path's base name, else
 *   `download`; its mode is `http.perm` (default 0600), its owner
 *   `http.uid`/`http.gid` (default 0:0), its mtime the `Last-Modified` time
 *   (default the Unix epoch);
 * - a status outside 200–399 fails; redirects are followed (at most 10), dropping
 *   credentials when the host changes. Messages name the URL with its
 *   credentials redacted.
 *
 * Out of scope: auth secrets (`http.authheadersecret`, `HTTP_AUTH_*`), signature
 * verification (`http.sig.*`).
 *
 * @module
 */

import { createHash, fs, path, process } from "../runtime/mod.ts";
import type { FetchLike } from "../runtime/mod.ts";
import type { SolverOp } from "../solver/mod.ts";
import {
  type CacheResult,
  DigestMismatchError,
  type LayerRecord,
  type Store,
} from "../store/mod.ts";

/** What an HTTP source identifier and its attrs ask for. */
export interface HttpIdentifier {
  /** The URL (with any credentials it carries). */
  url: string;
  /** Expected digest of the content (`sha256:…`, `sha384:…`, `sha512:…`). */
  checksum?: string;
  /** File name to save as (`http.filename`). */
  filename?: string;
  /** File mode; 0 means the default 0600. */
  perm: number;
  uid: number;
  gid: number;
  /** Extra request headers (`http.header.accept`, `http.header.user-agent`), sorted. */
  headers: Array<[string, string]>;
}

/** What resolving a URL found: the content digest, the file name and its time. */
export interface HttpMetadata {
  /** Digest the cache key is made of (the pinned checksum, or the content's sha256). */
  digest: string;
  /** sha256 digest of the content in the content store, when known. */
  blob?: string;
  /** Name of the file in the snapshot. */
  filename: string;
  /** `Last-Modified` of the response (HTTP date), when given. */
  lastModified?: string;
}

/** Options of {@linkcode httpSourceOp}. */
export interface HttpSourceOptions {
  store: Store;
  /** Digest of the op's definition (the base of the cache key). */
  opDigest: string;
  /** Anything else the result depends on (how layers are written). */
  keySalt?: string;
  /** Writes the layer of a tree (every entry an addition). */
  writeLayer(dir: string, signal: AbortSignal): Promise<LayerRecord>;
  /** The fetch to use; the global one by default. */
  fetch?: FetchLike;
}

const SUPPORTED_HEADERS = new Map([["accept", "Accept"], ["user-agent", "User-Agent"]]);
const CHECKSUM_RE = /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;
const MAX_REDIRECTS = 10;
const MAX_ENTRIES = 8;
const USER_AGENT = "buildkit-ts";

/** Go's `strconv.ParseInt(v, 0, 64)`: `0x`, `0o`, `0b` prefixes, and a leading 0 for octal. */
function parseGoInt(v: string, what: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[1-9][0-9_]*|0)$/.exec(v);
  if (!m) throw new Error(`invalid ${what} ${JSON.stringify(v)}: not an integer`);
  let body = m[2]!.replace(/_/g, "");
  let radix = 10;
  if (/^0[xX]/.test(body)) [radix, body] = [16, body.slice(2)];
  else if (/^0[bB]/.test(body)) [radix, body] = [2, body.slice(2)];
  else if (/^0[oO]/.test(body)) [radix, body] = [8, body.slice(2)];
  else if (body.length > 1 && body.startsWith("0")) [radix, body] = [8, body.slice(1)];
  const n = parseInt(body, radix);
  return m[1] === "-" ? -n : n;
}

/**
 * Reads an HTTP source's identifier (the URL) and attrs.
 *
 * @example
 * ```ts
 * import { parseHttpIdentifier } from "./http_source.ts";
 * const id = parseHttpIdentifier("https://example.com/a.txt", { "http.perm": "0644" });
 * console.assert(id.perm === 0o644 && id.uid === 0);
 * ```
 */
export function parseHttpIdentifier(
  identifier: string,
  attrs: Record<string, string>,
): HttpIdentifier {
  if (!/^https?:\/\//i.test(identifier)) {
    throw new Error(`invalid http source ${redactUrl(identifier)}: not an http(s) URL`);
  }
  try {
    new URL(identifier);
  } catch {
    throw new Error(`invalid http source URL ${redactUrl(identifier)}`);
  }
  const id: HttpIdentifier = { url: identifier, perm: 0, uid: 0, gid: 0, headers: [] };
  for (const [k, v] of Object.entries(attrs)) {
    switch (k) {
      case "http.checksum":
        if (!CHECKSUM_RE.test(v)) {
          throw new Error(`invalid checksum digest format ${JSON.stringify(v)}`);
        }
        id.checksum = v;
        break;
      case "http.filename":
        id.filename = v;
        break;
      case "http.perm":
        id.perm = parseGoInt(v, "http.perm");
        break;
      case "http.uid":
        id.uid = parseGoInt(v, "http.uid");
        break;
      case "http.gid":
        id.gid = parseGoInt(v, "http.gid");
        break;
      default:
        if (k.startsWith("http.header.")) {
          const name = SUPPORTED_HEADERS.get(k.slice("http.header.".length).toLowerCase());
          if (name !== undefined) id.headers.push([name, v]);
        }
    }
  }
  id.headers.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return id;
}

/**
 * A URL with its user name and password replaced by `xxxxx` (BuildKit's
 * `urlutil.RedactCredentials`). Strings that are not URLs come back unchanged.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./http_source.ts";
 * console.assert(redactUrl("https://u:p@h/x") === "https://xxxxx:xxxxx@h/x");
 * ```
 */
export function redactUrl(url: string): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#@]*)@/.exec(url);
  if (!m) return url;
  const info = m[2]!;
  const colon = info.indexOf(":");
  const user = colon < 0 ? info : info.slice(0, colon);
  let masked: string;
  if (colon < 0) masked = user === "" ? "" : "xxxxx";
  else masked = user === "" ? ":xxxxx" : "xxxxx:xxxxx";
  return `${m[1]}${masked}${masked === "" ? "" : "@"}${url.slice(m[0].length)}`;
}

/** BuildKit's `pathutil.SafeFileName`: a base name, `download` when empty or unsafe. */
function safeFileName(s: string): string {
  const trimmed = s.trim();
  let name = trimmed === "" ? "." : path.posix.basename(trimmed);
  if (trimmed !== "" && /^\/+$/.test(trimmed)) name = "/";
  if (name === "" || name === "." || name === ".." || name === "/") return "download";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return "download";
  return name;
}

/** The `filename` parameter of a `Content-Disposition` value (RFC 2231 `filename*` wins). */
function dispositionFilename(value: string): string | undefined {
  const parts: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted && c === "\\" && i + 1 < value.length) {
      cur += c + value[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ";" && !quoted) {
      parts.push(cur);
      cur = "";
    } else cur += c;
  }
  parts.push(cur);
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+)?$/.test(parts[0]!.trim())) {
    return undefined;
  }
  let plain: string | undefined;
  let extended: string | undefined;
  for (const p of parts.slice(1)) {
    const eq = p.indexOf("=");
    if (eq < 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) {
      v = v.slice(1, -1).replace(/\\(.)/g, "$1");
    }
    if (key === "filename") plain = v;
    else if (key === "filename*") {
      const m = /^([^']*)'[^']*'(.*)$/.exec(v);
      if (m && /^(utf-8|us-ascii)$/i.test(m[1]!)) {
        try {
          extended = decodeURIComponent(m[2]!);
        } catch {
          // an undecodable value is ignored, as Go does
        }
      }
    }
  }
  return extended ?? plain;
}

/**
 * The name BuildKit gives a downloaded file: `manual` (the `http.filename`
 * attr), else the `Content-Disposition` file name, else the URL path's base
 * name, else `download`; always a single path element.
 *
 * @example
 * ```ts
 * import { httpFileName } from "./http_source.ts";
 * console.assert(httpFileName("https://h/a/b.txt") === "b.txt");
 * console.assert(httpFileName("https://h/x", { contentDisposition: 'attachment; filename="r.tgz"' }) === "r.tgz");
 * console.assert(httpFileName("https://h/") === "download");
 * ```
 */
export function httpFileName(
  url: string,
  options: { manual?: string; contentDisposition?: string | null } = {},
): string {
  if (options.manual !== undefined && options.manual !== "") return safeFileName(options.manual);
  const cd = options.contentDisposition;
  if (cd !== undefined && cd !== null && cd !== "") {
    const f = dispositionFilename(cd);
    if (f !== undefined && f !== "" && !f.endsWith("/")) {
      const base = path.posix.basename(f);
      if (base !== "") return safeFileName(base);
    }
  }
  try {
    const u = new URL(url);
    let p = u.pathname;
    try {
      p = decodeURIComponent(p);
    } catch {
      // keep the escaped form
    }
    const base = p === "" ? "." : path.posix.basename(p);
    if (base !== "." && base !== "/" && base !== "" && !/^\/+$/.test(p)) return safeFileName(base);
  } catch {
    // not a URL: the default name
  }
  return safeFileName("");
}

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/** One remembered response of a URL. */
interface StoredEntry {
  etag?: string;
  lastModified?: string;
  /** sha256 digest of the content (a blob in the content store). */
  digest: string;
  filename: string;
}

function etagValue(v: string | null): string {
  return (v ?? "").replace(/^W\//, "");
}

function httpDate(v: string | null | undefined): Date | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** Raised for HTTP failures; the message names the (redacted) URL. */
export class HttpSourceError extends Error {
  /** The response status, when there was a response. */
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = "HttpSourceError";
    this.status = status;
  }
}

/**
 * One HTTP source op: resolves the URL to a content digest (its cache key) and
 * makes the snapshot holding the file.
 */
export class HttpSource {
  readonly #id: HttpIdentifier;
  readonly #opts: HttpSourceOptions;
  readonly #fetch: FetchLike;
  #resolved: Promise<HttpMetadata> | undefined;

  /** Binds the source `id` to a store. */
  constructor(id: HttpIdentifier, options: HttpSourceOptions) {
    this.#id = id;
    this.#opts = options;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  get #shown(): string {
    return redactUrl(this.#id.url);
  }

  /** Where this URL's remembered responses live (per URL, name, perm and owner). */
  get #metaFile(): string {
    const id = this.#id;
    const key = sha256(JSON.stringify([
      id.url,
      id.filename ?? "",
      id.perm,
      id.uid,
      id.gid,
      id.headers,
    ]));
    return path.join(this.#opts.store.root, "cache", "http", `${key}.json`);
  }

  #loadEntries(): StoredEntry[] {
    try {
      const v = JSON.parse(fs.readFileSync(this.#metaFile, "utf8"));
      return Array.isArray(v?.entries) ? v.entries as StoredEntry[] : [];
    } catch {
      return [];
    }
  }

  #saveEntry(entry: StoredEntry): void {
    const entries = this.#loadEntries().filter((e) =>
      entry.etag !== undefined ? e.etag !== entry.etag : e.digest !== entry.digest
    );
    entries.unshift(entry);
    const file = this.#metaFile;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    fs.writeFileSync(
      tmp,
      JSON.stringify({ url: this.#shown, entries: entries.slice(0, MAX_ENTRIES) }),
    );
    fs.renameSync(tmp, file);
  }

  /** The cache key of this source (a digest), fetching the URL when needed. */
  async cacheKey(signal: AbortSignal): Promise<string> {
    const md = await this.resolve(signal);
    const id = this.#id;
    const lm = httpDate(md.lastModified);
    const key: Record<string, unknown> = {
      Filename: md.filename,
      Perm: id.perm,
      UID: id.uid,
      GID: id.gid,
      Checksum: md.digest,
    };
    if (lm !== undefined) key.LastModTime = lm.toUTCString();
    if (id.headers.length > 0) key.Header = id.headers;
    const salt = this.#opts.keySalt ?? "";
    return `sha256:${sha256(`${this.#opts.opDigest}\0${salt}\0${JSON.stringify(key)}`)}`;
  }

  /**
   * What the URL holds now: with a pinned checksum, the checksum (no request);
   * otherwise the digest of the content, downloaded into the content store
   * unless the server says a remembered response is still current.
   */
  resolve(signal: AbortSignal): Promise<HttpMetadata> {
    if (this.#resolved === undefined) {
      this.#resolved = this.#resolve(signal);
      this.#resolved.catch(() => (this.#resolved = undefined));
    }
    return this.#resolved;
  }

  async #resolve(signal: AbortSignal): Promise<HttpMetadata> {
    const id = this.#id;
    if (id.checksum !== undefined) {
      return {
        digest: id.checksum,
        ...(id.checksum.startsWith("sha256:") ? { blob: id.checksum } : {}),
        filename: httpFileName(id.url, id.filename !== undefined ? { manual: id.filename } : {}),
      };
    }
    const { content } = this.#opts.store;
    const usable: StoredEntry[] = [];
    for (const e of this.#loadEntries()) if (await content.has(e.digest)) usable.push(e);
    const headers: Record<string, string> = {};
    const etags = usable.filter((e) => e.etag !== undefined);
    let imsEntry: StoredEntry | undefined;
    if (etags.length > 0) {
      headers["If-None-Match"] = [...new Set(etags.map((e) => e.etag!))].join(", ");
    } else if (usable[0]?.lastModified !== undefined) {
      imsEntry = usable[0];
      headers["If-Modified-Since"] = imsEntry.lastModified!;
    }
    const resp = await this.#get(headers, signal);
    if (resp.status === 304) {
      await resp.body?.cancel().catch(() => {});
      let etag = etagValue(resp.headers.get("ETag"));
      if (etag === "" && etags.length === 1) etag = etags[0]!.etag!;
      const entry = etag !== "" ? etags.find((e) => e.etag === etag) : imsEntry;
      if (entry === undefined) {
        throw new HttpSourceError(
          `failed to fetch ${this.#shown}: invalid not-modified ETag: ${etag}`,
          304,
        );
      }
      const cd = resp.headers.get("Content-Disposition");
      const filename = id.filename !== undefined || cd !== null
        ? httpFileName(id.url, {
          ...(id.filename !== undefined ? { manual: id.filename } : {}),
          contentDisposition: cd,
        })
        : entry.filename;
      return {
        digest: entry.digest,
        blob: entry.digest,
        filename,
        ...(entry.lastModified !== undefined ? { lastModified: entry.lastModified } : {}),
      };
    }
    return await this.#save(resp, signal);
  }

  /** A GET of the URL, following redirects, failing on statuses outside 200–399 but 304. */
  async #get(conditional: Record<string, string>, signal: AbortSignal): Promise<Response> {
    let url: URL;
    try {
      url = new URL(this.#id.url);
    } catch {
      throw new HttpSourceError(`invalid URL ${this.#shown}`);
    }
    let auth: string | undefined;
    if (url.username !== "" || url.password !== "") {
      const user = decodeURIComponent(url.username);
      const pass = decodeURIComponent(url.password);
      auth = "Basic " + btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${pass}`)));
      url.username = "";
      url.password = "";
    }
    const authHost = url.host;
    for (let hop = 0;; hop++) {
      const headers: Record<string, string> = { "User-Agent": USER_AGENT, ...conditional };
      for (const [k, v] of this.#id.headers) headers[k] = v;
      if (auth !== undefined && url.host === authHost) headers["Authorization"] = auth;
      let resp: Response;
      try {
        resp = await this.#fetch(url.href, { headers, redirect: "manual", signal });
      } catch (e) {
        if (signal.aborted) throw signal.reason ?? e;
        throw new HttpSourceError(
          `failed to fetch ${this.#shown}: ${(e as Error).message ?? String(e)}`,
        );
      }
      const location = resp.headers.get("Location");
      if ([301, 302, 303, 307, 308].includes(resp.status) && location !== null) {
        await resp.body?.cancel().catch(() => {});
        if (hop >= MAX_REDIRECTS) {
          throw new HttpSourceError(
            `failed to fetch ${this.#shown}: stopped after ${MAX_REDIRECTS} redirects`,
          );
        }
        url = new URL(location, url);
        continue;
      }
      if (resp.status !== 304 && (resp.status < 200 || resp.status >= 400)) {
        await resp.body?.cancel().catch(() => {});
        const text = resp.statusText ? ` ${resp.statusText}` : "";
        throw new HttpSourceError(
          `failed to fetch ${this.#shown}: invalid response status ${resp.status}${text}`,
          resp.status,
        );
      }
      return resp;
    }
  }

  /** Streams a response body into the content store, verifying a pinned checksum. */
  async #save(resp: Response, signal: AbortSignal): Promise<HttpMetadata> {
    const id = this.#id;
    const { content } = this.#opts.store;
    const algo = id.checksum?.split(":")[0];
    const extra = algo !== undefined && algo !== "sha256" ? createHash(algo) : undefined;
    const w = await content.writer();
    let blob: string;
    try {
      if (resp.body !== null) {
        const reader = resp.body.getReader();
        try {
          for (;;) {
            signal.throwIfAborted();
            const { done, value } = await reader.read();
            if (done) break;
            await w.write(value);
            extra?.update(value);
          }
        } catch (e) {
          await reader.cancel().catch(() => {});
          throw e;
        }
      }
      if (extra !== undefined) {
        const actual = `${algo}:${extra.digest("hex")}`;
        if (actual !== id.checksum) throw new DigestMismatchError(id.checksum!, actual);
      }
      const expected = algo === "sha256" ? { digest: id.checksum! } : undefined;
      blob = (await w.commit(expected)).digest;
    } catch (e) {
      await w.abort();
      if (e instanceof DigestMismatchError) {
        throw new HttpSourceError(
          `digest mismatch for ${this.#shown}: ${e.actual} (expected: ${e.expected})`,
        );
      }
      if (signal.aborted) throw signal.reason ?? e;
      throw new HttpSourceError(
        `failed to download ${this.#shown}: ${(e as Error).message ?? String(e)}`,
      );
    }
    const filename = httpFileName(id.url, {
      ...(id.filename !== undefined ? { manual: id.filename } : {}),
      contentDisposition: resp.headers.get("Content-Disposition"),
    });
    const lastModified = resp.headers.get("Last-Modified") ?? undefined;
    const etag = etagValue(resp.headers.get("ETag"));
    if (etag !== "" || lastModified !== undefined) {
      this.#saveEntry({
        ...(etag !== "" ? { etag } : {}),
        ...(lastModified !== undefined ? { lastModified } : {}),
        digest: blob,
        filename,
      });
    }
    return {
      digest: id.checksum ?? blob,
      blob,
      filename,
      ...(lastModified !== undefined ? { lastModified } : {}),
    };
  }

  /** Makes the snapshot holding the file (and its layer). */
  async snapshot(signal: AbortSignal): Promise<CacheResult> {
    const { content, snapshots } = this.#opts.store;
    let md = await this.resolve(signal);
    if (md.blob === undefined || !(await content.has(md.blob))) {
      // Resolved without a download (pinned checksum), or the blob was pruned since.
      const fresh = await this.#save(await this.#get({}, signal), signal);
      if (this.#id.checksum === undefined && fresh.digest !== md.digest) {
        throw new HttpSourceError(
          `digest mismatch for ${this.#shown}: ${fresh.digest} (expected: ${md.digest}): ` +
            "the content changed while the build ran",
        );
      }
      md = { ...fresh, filename: md.filename };
    }
    const m = await snapshots.create();
    try {
      const file = path.join(m.dir, md.filename);
      const fh = fs.openSync(file, "wx", 0o600);
      try {
        const reader = content.get(md.blob!).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          fs.writeSync(fh, value);
        }
      } finally {
        fs.closeSync(fh);
      }
      const id = this.#id;
      fs.chmodSync(file, id.perm !== 0 ? id.perm & 0o7777 : 0o600);
      if (id.uid !== 0 || id.gid !== 0) {
        try {
          fs.chownSync(file, id.uid, id.gid);
        } catch (e) {
          if (isRoot()) throw e;
          // Not root: the owner cannot be set (rootless builds keep the caller's).
        }
      }
      const mtime = httpDate(md.lastModified) ?? new Date(0);
      fs.utimesSync(file, mtime, mtime);
      const layer = await this.#opts.writeLayer(m.dir, signal);
      const snapshotId = await snapshots.commit(m, { description: `http url ${this.#shown}` });
      return {
        snapshotId,
        layers: [layer],
        meta: { kind: "http", url: this.#shown, digest: md.digest, filename: md.filename },
      };
    } catch (e) {
      await snapshots.discard(m);
      throw e;
    }
  }
}

/**
 * The solver op of an HTTP source: its cache map resolves the URL (see
 * {@linkcode HttpSource.resolve}); its execution makes the snapshot.
 *
 * @example
 * ```ts ignore
 * import { httpSourceOp, parseHttpIdentifier } from "./http_source.ts";
 * const op = httpSourceOp(parseHttpIdentifier("http://127.0.0.1:8080/a.txt", {}), {
 *   store, opDigest, writeLayer,
 * });
 * ```
 */
export function httpSourceOp(
  id: HttpIdentifier,
  options: HttpSourceOptions,
): SolverOp<CacheResult> {
  const src = new HttpSource(id, options);
  return {
    cacheMap: async (signal) => ({ digest: await src.cacheKey(signal), deps: [] }),
    exec: (_inputs, ctx) => src.snapshot(ctx.signal),
  };
}
