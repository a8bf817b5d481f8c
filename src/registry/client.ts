// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The OCI distribution API client for one registry: ping, manifests, blobs
 * (verified streams, monolithic and chunked uploads, cross-repository
 * mounts), tags. Authentication, retries and redirects are handled here so
 * that pull and push read as plain sequences of calls.
 *
 * @module
 */

import type { FetchLike } from "../runtime/mod.ts";
import {
  type Descriptor,
  type Digest,
  isDigest,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
} from "../oci/mod.ts";
import { type Credentials, mergeScopes, RegistryAuth, repositoryScope } from "./auth.ts";
import { isTemporaryStatus, parseErrorBody, RegistryDigestError, RegistryError } from "./errors.ts";
import { redact } from "./redact.ts";
import { allowsPlainHttp, registryApiHost } from "./reference_host.ts";
import { parseRetryAfter, type RetryOptions, withRetry } from "./retry.ts";
import { digestOf, verifyBytes, verifyStream } from "./verify.ts";

/** Every manifest and index media type the client accepts. */
export const MANIFEST_ACCEPT: readonly string[] = [
  MEDIA_TYPE_OCI_MANIFEST,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
];

/** Largest manifest or index read (4 MiB, as containerd and distribution). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Options of {@linkcode RegistryClient}. */
export interface RegistryClientOptions {
  /** Credentials, or a function that looks them up for the domain (e.g. {@linkcode resolveCredentials}). */
  credentials?: Credentials | ((domain: string) => Promise<Credentials | undefined>);
  /** Registries (`host[:port]`) that may be reached over plain HTTP (`--insecure-registry`). */
  insecureRegistries?: readonly string[];
  /** Speak plain HTTP to this registry (allowed only for local or insecure registries). */
  plainHttp?: boolean;
  /** The fetch to use (e.g. {@linkcode fetchWithCa} for a private CA). */
  fetch?: FetchLike;
  /** Retry limits for temporary failures. */
  retry?: RetryOptions;
  /** The `User-Agent` header. */
  userAgent?: string;
  /** Receives one redacted line per request and retry. */
  log?: (line: string) => void;
  /** Upload blobs in chunks of this many bytes (PATCH); monolithic PUT when absent. */
  chunkSize?: number;
  /** The clock, for token expiry (ms since the epoch). */
  now?: () => number;
  /** Cancels every request. */
  signal?: AbortSignal;
}

/** A manifest or index as fetched, verified against its digest. */
export interface FetchedManifest {
  /** Media type, digest and size of the bytes. */
  descriptor: Descriptor;
  /** The raw bytes, exactly as the registry sent them. */
  bytes: Uint8Array;
}

/** What {@linkcode RegistryClient.pushBlob} did. */
export type PushBlobResult = "exists" | "mounted" | "uploaded";

/** Options of {@linkcode RegistryClient.pushBlob}. */
export interface PushBlobOptions {
  /** Repositories of the same registry to mount the blob from, tried in order. */
  mountFrom?: readonly string[];
  /** Chunk size for a chunked upload; overrides the client's. */
  chunkSize?: number;
  /** Skip the HEAD that checks whether the registry already has the blob. */
  skipExistsCheck?: boolean;
}

interface RequestOptions {
  scopes: readonly string[];
  headers?: Record<string, string>;
  body?: () => BodyInit | null;
  /** Statuses returned as they are (besides 2xx). */
  pass?: readonly number[];
  /** Retry temporary failures of this request (default true). */
  retry?: boolean;
  what: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

function contentTypeOf(res: Response): string {
  return (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
}

async function readLimited(res: Response, limit: number, what: string): Promise<Uint8Array> {
  const length = Number(res.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(length) && length > limit) {
    await res.body?.cancel();
    throw new RegistryError(`${what} is too large: ${length} bytes (limit ${limit})`);
  }
  if (res.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new RegistryError(`${what} is larger than the limit of ${limit} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

function guessMediaType(bytes: Uint8Array): string {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    if (typeof v.mediaType === "string" && v.mediaType !== "") return v.mediaType;
    if (Array.isArray(v.manifests)) return MEDIA_TYPE_OCI_INDEX;
    if (v.config !== undefined) return MEDIA_TYPE_OCI_MANIFEST;
  } catch {
    // Not JSON: let the caller's parser report it.
  }
  return "application/octet-stream";
}

/**
 * A client of one registry's distribution API (`/v2/`).
 *
 * @example
 * ```ts ignore
 * import { RegistryClient } from "./client.ts";
 * const client = new RegistryClient("127.0.0.1:5000");
 * const { descriptor } = await client.getManifest("library/alpine", "latest");
 * console.log(descriptor.digest);
 * ```
 */
export class RegistryClient {
  /** The reference domain (`docker.io`, `127.0.0.1:5000`). */
  readonly domain: string;
  /** The API host (`registry-1.docker.io` for Docker Hub). */
  readonly host: string;
  /** Authentication state (challenge, cached tokens). */
  readonly auth: RegistryAuth;
  #options: RegistryClientOptions;
  #fetch: FetchLike;
  #secrets = new Set<string>();
  #base: Promise<string> | undefined;
  #sessionScopes = new Set<string>();

  /** Builds a client for the registry of a reference domain. */
  constructor(domain: string, options: RegistryClientOptions = {}) {
    this.domain = domain;
    this.host = registryApiHost(domain);
    this.#options = options;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    if (options.plainHttp && !this.#allowHttp(this.host)) {
      throw new RegistryError(
        `Plain HTTP is allowed only for local registries and those named as insecure, not ${this.host}`,
      );
    }
    const creds = options.credentials;
    const lookup = typeof creds === "function" ? () => creds(domain) : () => Promise.resolve(creds);
    this.auth = new RegistryAuth({
      credentials: lookup,
      fetch: this.#fetch,
      allowHttp: (h) => this.#allowHttp(h),
      secrets: this.#secrets,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  #allowHttp(host: string): boolean {
    return allowsPlainHttp(host, this.#options.insecureRegistries ?? []);
  }

  #log(line: string): void {
    this.#options.log?.(redact(line, this.#secrets));
  }

  /** Redacts every secret this client knows from `text`. */
  redact(text: string): string {
    return redact(text, this.#secrets);
  }

  /**
   * Adds scopes to every later request's token (e.g. push on the target and
   * pull on mount sources), so that one token serves a whole push.
   */
  addScopes(scopes: Iterable<string>): void {
    for (const s of scopes) this.#sessionScopes.add(s);
  }

  /** The scheme and host (`https://host`), found by a ping on first use. */
  baseUrl(): Promise<string> {
    this.#base ??= this.#discover().catch((e) => {
      this.#base = undefined;
      throw e;
    });
    return this.#base;
  }

  async #discover(): Promise<string> {
    const retry = this.#retryOptions();
    if (this.#options.plainHttp) {
      const base = `http://${this.host}`;
      await withRetry(() => this.#pingAt(base), retry);
      return base;
    }
    const https = `https://${this.host}`;
    const mayFallBack = this.#allowHttp(this.host);
    try {
      // With a plain-HTTP fallback, a TLS failure is an answer, not a reason to retry.
      await withRetry(() => this.#pingAt(https), mayFallBack ? { ...retry, attempts: 1 } : retry);
      return https;
    } catch (e) {
      if (e instanceof RegistryError && e.status !== undefined) throw e;
      if (!mayFallBack) throw this.#wrapNetwork(e, `GET ${https}/v2/`);
      // Local and insecure registries may speak plain HTTP (Docker's fallback).
      const http = `http://${this.host}`;
      try {
        await withRetry(() => this.#pingAt(http), retry);
      } catch (e2) {
        this.#log(`ping ${http}/v2/ failed: ${(e2 as Error).message}`);
        throw this.#wrapNetwork(e, `GET ${https}/v2/`);
      }
      this.#log(`${this.host}: using plain HTTP`);
      return http;
    }
  }

  async #pingAt(base: string): Promise<void> {
    const url = `${base}/v2/`;
    const res = await this.#fetch(url, this.#init("GET", this.#headers({}), null));
    this.#log(`GET ${url} → ${res.status}`);
    if (res.status === 401 || res.ok) {
      await res.body?.cancel();
      if (res.status === 401) this.auth.setChallenge(res.headers.get("www-authenticate"));
      return;
    }
    if (base.startsWith("http:") && res.status === 400) {
      throw new TypeError("plain HTTP request refused (the registry speaks HTTPS)");
    }
    throw await this.#errorOf(res, "GET", url, `the registry ${this.host}`);
  }

  #wrapNetwork(e: unknown, request: string): unknown {
    if (e instanceof RegistryError) return e;
    return new RegistryError(
      `Cannot reach the registry ${this.host}: ${(e as Error)?.message ?? String(e)}`,
      { request, cause: e, secrets: this.#secrets, temporary: true },
    );
  }

  /**
   * Checks that the registry answers `/v2/` (discovering HTTPS or, where
   * allowed, HTTP) and returns the base URL and the auth challenge, if any.
   */
  async ping(): Promise<{ baseUrl: string; challenge: string | undefined }> {
    const baseUrl = await this.baseUrl();
    return { baseUrl, challenge: this.auth.challenge?.scheme };
  }

  #retryOptions(): RetryOptions {
    const r = this.#options.retry ?? {};
    return {
      ...r,
      ...(this.#options.signal ? { signal: this.#options.signal } : {}),
      onRetry: (e, attempt, delay) => {
        this.#log(`retry ${attempt} in ${Math.round(delay)}ms: ${(e as Error)?.message ?? e}`);
        r.onRetry?.(e, attempt, delay);
      },
    };
  }

  #headers(extra: Record<string, string>): Record<string, string> {
    return { "user-agent": this.#options.userAgent ?? "buildkit-ts", ...extra };
  }

  #init(method: string, headers: Record<string, string>, body: BodyInit | null): RequestInit {
    const init: RequestInit & { duplex?: string } = { method, headers, redirect: "manual" };
    if (body !== null) {
      init.body = body;
      if (body instanceof ReadableStream) init.duplex = "half";
    }
    if (this.#options.signal) init.signal = this.#options.signal;
    return init;
  }

  async #url(path: string): Promise<string> {
    if (/^https?:\/\//.test(path)) return path;
    return `${await this.baseUrl()}${path}`;
  }

  /** One request with auth and redirects; retried when `retry` is not false. */
  async #request(method: string, path: string, options: RequestOptions): Promise<Response> {
    const once = () => this.#requestOnce(method, path, options);
    if (options.retry === false) return await once();
    return await withRetry(once, this.#retryOptions());
  }

  async #requestOnce(method: string, path: string, options: RequestOptions): Promise<Response> {
    const first = await this.#url(path);
    const scopes = mergeScopes([...options.scopes, ...this.#sessionScopes]);
    const send = async (url: string, authorization: string | undefined) => {
      const headers = this.#headers({ ...options.headers });
      if (authorization !== undefined) headers.authorization = authorization;
      try {
        return await this.#fetch(url, this.#init(method, headers, options.body?.() ?? null));
      } catch (e) {
        throw this.#wrapNetwork(e, `${method} ${url}`);
      }
    };
    let authorization = await this.auth.authorization(scopes, this.#options.signal);
    let res = await send(first, authorization);
    this.#log(`${method} ${first} → ${res.status}`);
    if (res.status === 401) {
      const changed = this.auth.setChallenge(res.headers.get("www-authenticate"), scopes);
      const next = await this.auth.authorization(scopes, this.#options.signal);
      if (changed || next !== authorization) {
        await res.body?.cancel();
        authorization = next;
        res = await send(first, authorization);
        this.#log(`${method} ${first} → ${res.status} (authenticated)`);
      }
    }
    // Redirects (blob storage backends): follow them by hand so that the
    // Authorization header never leaves the registry's origin.
    let url = first;
    const origin = new URL(first).origin;
    for (let n = 0; REDIRECTS.has(res.status) && !options.pass?.includes(res.status); n++) {
      const location = res.headers.get("location");
      await res.body?.cancel();
      if (location === null) break;
      if (n >= MAX_REDIRECTS) {
        throw new RegistryError(`Too many redirects for ${options.what}`, {
          request: `${method} ${first}`,
          secrets: this.#secrets,
        });
      }
      const target = new URL(location, url);
      if (target.protocol === "http:" && !this.#allowHttp(target.host)) {
        throw new RegistryError(
          `Refusing a redirect to plain HTTP (${target.host}) for ${options.what}`,
          { secrets: this.#secrets },
        );
      }
      if (target.protocol !== "http:" && target.protocol !== "https:") {
        throw new RegistryError(`Refusing a redirect to ${target.protocol} for ${options.what}`);
      }
      url = target.href;
      const keep = target.origin === origin ? authorization : undefined;
      res = await send(url, keep);
      this.#log(`${method} ${url} → ${res.status} (redirect${keep ? "" : ", no credentials"})`);
    }
    if (res.ok || options.pass?.includes(res.status)) return res;
    throw await this.#errorOf(res, method, url, options.what);
  }

  async #errorOf(res: Response, method: string, url: string, what: string): Promise<RegistryError> {
    let text = "";
    try {
      text = new TextDecoder().decode(await readLimited(res, 64 * 1024, "error body"));
    } catch {
      // The body is only for details.
    }
    const errors = parseErrorBody(text);
    const status = res.status;
    const verb = status === 401
      ? "Authentication required for"
      : status === 403
      ? "Access denied to"
      : status === 404
      ? "Not found:"
      : "Failed to access";
    const retryAfter = parseRetryAfter(res.headers.get("retry-after"));
    return new RegistryError(`${verb} ${what}`, {
      status,
      errors,
      request: `${method} ${url}`,
      secrets: this.#secrets,
      temporary: isTemporaryStatus(status),
      ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
    });
  }

  #what(repository: string, ref: string): string {
    return `${this.domain}/${repository}${isDigest(ref) ? "@" : ":"}${ref}`;
  }

  /**
   * Resolves a tag or digest to the descriptor of its manifest or index
   * (HEAD); `undefined` when the registry does not have it.
   */
  async headManifest(repository: string, reference: string): Promise<Descriptor | undefined> {
    const res = await this.#request("HEAD", `/v2/${repository}/manifests/${reference}`, {
      scopes: [repositoryScope(repository, ["pull"])],
      headers: { accept: MANIFEST_ACCEPT.join(", ") },
      pass: [404],
      what: `manifest ${this.#what(repository, reference)}`,
    });
    await res.body?.cancel();
    if (res.status === 404) return undefined;
    const digest = res.headers.get("docker-content-digest") ??
      (isDigest(reference) ? reference : null);
    const size = Number(res.headers.get("content-length") ?? "NaN");
    if (digest === null || !isDigest(digest) || !Number.isFinite(size)) {
      // Some registries omit the digest on HEAD: fall back to a GET.
      return (await this.getManifest(repository, reference)).descriptor;
    }
    return { mediaType: contentTypeOf(res), digest, size };
  }

  /**
   * Fetches a manifest or index by tag or digest, accepting the OCI and
   * Docker manifest and index types, and verifies its bytes: against the
   * digest when one was asked for, else against `Docker-Content-Digest`.
   *
   * @throws {RegistryDigestError} when the bytes do not match.
   * @throws {RegistryError} with status 404 when it does not exist.
   */
  async getManifest(
    repository: string,
    reference: string,
    options: { accept?: readonly string[] } = {},
  ): Promise<FetchedManifest> {
    const what = `manifest ${this.#what(repository, reference)}`;
    await this.baseUrl(); // retried on its own
    return await withRetry(async () => {
      const res = await this.#request("GET", `/v2/${repository}/manifests/${reference}`, {
        scopes: [repositoryScope(repository, ["pull"])],
        headers: { accept: (options.accept ?? MANIFEST_ACCEPT).join(", ") },
        retry: false,
        what,
      });
      const bytes = await readLimited(res, MAX_MANIFEST_BYTES, what);
      const header = res.headers.get("docker-content-digest");
      let digest: string;
      if (isDigest(reference)) {
        verifyBytes(bytes, { digest: reference }, what);
        digest = reference;
      } else {
        digest = digestOf(bytes);
        if (header !== null && isDigest(header)) {
          const actual = header.startsWith("sha256:") ? digest : digestOf(bytes, header);
          if (actual !== header) throw new RegistryDigestError(what, header, actual);
        }
      }
      let mediaType = contentTypeOf(res);
      if (!MANIFEST_ACCEPT.includes(mediaType)) {
        const guessed = guessMediaType(bytes);
        if (guessed !== "application/octet-stream") mediaType = guessed;
      }
      return {
        descriptor: { mediaType, digest: digest as Digest, size: bytes.byteLength },
        bytes,
      };
    }, this.#retryOptions());
  }

  /**
   * Uploads a manifest or index under a tag or its digest.
   *
   * @returns its descriptor.
   */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
  ): Promise<Descriptor> {
    const digest = digestOf(bytes) as Digest;
    if (isDigest(reference) && reference !== digest) {
      throw new RegistryDigestError(`manifest for ${reference}`, reference, digest);
    }
    const res = await this.#request("PUT", `/v2/${repository}/manifests/${reference}`, {
      scopes: [repositoryScope(repository, ["pull", "push"])],
      headers: { "content-type": mediaType },
      body: () => bytes as Uint8Array<ArrayBuffer>,
      what: `manifest ${this.#what(repository, reference)}`,
    });
    await res.body?.cancel();
    const returned = res.headers.get("docker-content-digest");
    if (returned !== null && returned !== digest) {
      throw new RegistryError(
        `The registry stored the manifest under ${returned}, not ${digest}`,
      );
    }
    return { mediaType, digest, size: bytes.byteLength };
  }

  /** The size of a blob the registry has, or `undefined` when it has not. */
  async headBlob(repository: string, digest: string): Promise<number | undefined> {
    const res = await this.#request("HEAD", `/v2/${repository}/blobs/${digest}`, {
      scopes: [repositoryScope(repository, ["pull"])],
      pass: [404],
      what: `blob ${digest} in ${this.domain}/${repository}`,
    });
    await res.body?.cancel();
    if (res.status === 404) return undefined;
    const size = Number(res.headers.get("content-length") ?? "NaN");
    return Number.isFinite(size) ? size : 0;
  }

  /**
   * Opens a blob as a stream that is verified against the descriptor's
   * digest and size: the stream errors at its end when they differ, so a
   * consumer that stores it (e.g. `ContentStore.ingest`) keeps nothing.
   * Redirects to storage backends are followed without credentials.
   */
  async getBlob(
    repository: string,
    descriptor: Pick<Descriptor, "digest" | "size">,
  ): Promise<ReadableStream<Uint8Array>> {
    const what = `blob ${descriptor.digest} from ${this.domain}/${repository}`;
    const res = await this.#request("GET", `/v2/${repository}/blobs/${descriptor.digest}`, {
      scopes: [repositoryScope(repository, ["pull"])],
      what,
    });
    if (res.body === null) throw new RegistryError(`Empty response for ${what}`);
    return verifyStream(res.body, { digest: descriptor.digest, size: descriptor.size }, what);
  }

  /** Fetches a small blob (a config) whole, verified. */
  async getBlobBytes(
    repository: string,
    descriptor: Pick<Descriptor, "digest" | "size">,
    options: { limit?: number } = {},
  ): Promise<Uint8Array> {
    const limit = options.limit ?? 64 * 1024 * 1024;
    if (descriptor.size > limit) {
      throw new RegistryError(`Blob ${descriptor.digest} is too large to read whole`);
    }
    return await withRetry(async () => {
      const stream = await this.getBlob(repository, descriptor);
      return new Uint8Array(await new Response(stream).arrayBuffer());
    }, this.#retryOptions());
  }

  /**
   * Mounts a blob from another repository of the same registry. Resolves to
   * whether the registry mounted it (201); when it opened an upload instead
   * (202), the upload is cancelled and `false` returned.
   */
  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const location = await this.#startUpload(repository, { digest, from });
    if (location === undefined) return true;
    await this.#cancelUpload(repository, location);
    return false;
  }

  async #cancelUpload(repository: string, location: string): Promise<void> {
    try {
      const res = await this.#request("DELETE", location, {
        scopes: [repositoryScope(repository, ["pull", "push"])],
        pass: [404, 405],
        retry: false,
        what: "upload cancellation",
      });
      await res.body?.cancel();
    } catch {
      // Abandoned uploads expire on the registry anyway.
    }
  }

  /** Starts an upload session; `undefined` when a mount completed it already. */
  async #startUpload(
    repository: string,
    mount?: { digest: string; from: string },
  ): Promise<string | undefined> {
    const query = mount === undefined
      ? ""
      : `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}`;
    const scopes = [repositoryScope(repository, ["pull", "push"])];
    if (mount !== undefined) scopes.push(repositoryScope(mount.from, ["pull"]));
    const url = await this.#url(`/v2/${repository}/blobs/uploads/${query}`);
    const res = await this.#request("POST", url, {
      scopes,
      headers: { "content-length": "0" },
      what: `upload to ${this.domain}/${repository}`,
    });
    await res.body?.cancel();
    if (res.status === 201) return undefined;
    const location = res.headers.get("location");
    if (res.status !== 202 || location === null) {
      throw new RegistryError(
        `Unexpected answer to an upload start for ${this.domain}/${repository}`,
        { status: res.status, secrets: this.#secrets },
      );
    }
    return new URL(location, url).href;
  }

  /**
   * Pushes a blob unless the registry has it: HEAD to skip, then a mount
   * from each `mountFrom` repository, then an upload of `open()`'s bytes
   * (monolithic PUT, or PATCH chunks when a chunk size is set). The whole
   * upload is retried on temporary failures, re-opening the source.
   */
  async pushBlob(
    repository: string,
    descriptor: Pick<Descriptor, "digest" | "size">,
    open: () => ReadableStream<Uint8Array>,
    options: PushBlobOptions = {},
  ): Promise<PushBlobResult> {
    const { digest, size } = descriptor;
    if (!options.skipExistsCheck && (await this.headBlob(repository, digest)) !== undefined) {
      return "exists";
    }
    let pending: string | undefined;
    for (const from of options.mountFrom ?? []) {
      if (from === repository) continue;
      try {
        const location = await this.#startUpload(repository, { digest, from });
        if (location === undefined) return "mounted";
        if (pending === undefined) pending = location;
        else await this.#cancelUpload(repository, location);
        break;
      } catch (e) {
        this.#log(`mount of ${digest} from ${from} failed: ${(e as Error).message}`);
      }
    }
    const chunkSize = options.chunkSize ?? this.#options.chunkSize;
    await withRetry(async () => {
      const location = pending ?? await this.#startUpload(repository);
      pending = undefined;
      if (location === undefined) return;
      try {
        if (chunkSize !== undefined && chunkSize > 0 && size > chunkSize) {
          await this.#uploadChunked(repository, location, digest, open(), chunkSize);
        } else {
          await this.#uploadMonolithic(repository, location, digest, size, open);
        }
      } catch (e) {
        await this.#cancelUpload(repository, location);
        throw e;
      }
    }, this.#retryOptions());
    return "uploaded";
  }

  #withDigest(location: string, digest: string): string {
    const u = new URL(location);
    u.searchParams.set("digest", digest);
    return u.href;
  }

  async #uploadMonolithic(
    repository: string,
    location: string,
    digest: string,
    size: number,
    open: () => ReadableStream<Uint8Array>,
  ): Promise<void> {
    const res = await this.#request("PUT", this.#withDigest(location, digest), {
      scopes: [repositoryScope(repository, ["pull", "push"])],
      headers: { "content-type": "application/octet-stream", "content-length": String(size) },
      body: open,
      retry: false,
      what: `upload of ${digest} to ${this.domain}/${repository}`,
    });
    await res.body?.cancel();
  }

  async #uploadChunked(
    repository: string,
    location: string,
    digest: string,
    stream: ReadableStream<Uint8Array>,
    chunkSize: number,
  ): Promise<void> {
    const scopes = [repositoryScope(repository, ["pull", "push"])];
    const what = `upload of ${digest} to ${this.domain}/${repository}`;
    const reader = stream.getReader();
    let url = location;
    let offset = 0;
    let buf = new Uint8Array(chunkSize);
    let fill = 0;
    const flush = async () => {
      if (fill === 0) return;
      const chunk = buf.subarray(0, fill);
      const res = await this.#request("PATCH", url, {
        scopes,
        headers: {
          "content-type": "application/octet-stream",
          "content-range": `${offset}-${offset + fill - 1}`,
          "content-length": String(fill),
        },
        body: () => chunk,
        retry: false,
        what,
      });
      await res.body?.cancel();
      const next = res.headers.get("location");
      if (next !== null) url = new URL(next, url).href;
      offset += fill;
      buf = new Uint8Array(chunkSize);
      fill = 0;
    };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        let off = 0;
        while (off < value.byteLength) {
          const n = Math.min(chunkSize - fill, value.byteLength - off);
          buf.set(value.subarray(off, off + n), fill);
          fill += n;
          off += n;
          if (fill === chunkSize) await flush();
        }
      }
      await flush();
    } catch (e) {
      await reader.cancel().catch(() => {});
      throw e;
    }
    const res = await this.#request("PUT", this.#withDigest(url, digest), {
      scopes,
      headers: { "content-length": "0" },
      retry: false,
      what,
    });
    await res.body?.cancel();
  }

  /** Lists a repository's tags, following `Link` pagination. */
  async listTags(repository: string, options: { pageSize?: number } = {}): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repository}/tags/list` +
      (options.pageSize ? `?n=${options.pageSize}` : "");
    for (let pages = 0; path !== undefined && pages < 10_000; pages++) {
      const url = await this.#url(path);
      const res = await this.#request("GET", url, {
        scopes: [repositoryScope(repository, ["pull"])],
        what: `tags of ${this.domain}/${repository}`,
      });
      const body = JSON.parse(
        new TextDecoder().decode(await readLimited(res, 16 * 1024 * 1024, "tag list")),
      ) as { tags?: unknown };
      if (Array.isArray(body.tags)) {
        for (const t of body.tags) if (typeof t === "string") tags.push(t);
      }
      const link = res.headers.get("link");
      const m = link === null ? null : /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
      path = m ? new URL(m[1]!, url).href : undefined;
    }
    return tags;
  }
}
