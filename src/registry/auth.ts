// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Registry authentication: `WWW-Authenticate` challenges, scopes, Basic
 * credentials and bearer tokens (fetched from the challenge's realm, cached
 * per scope set until they expire).
 *
 * @module
 */

import type { FetchLike } from "../runtime/mod.ts";
import { RegistryError } from "./errors.ts";
import { redactUrl } from "./redact.ts";

/** Credentials for one registry. */
export interface Credentials {
  /** User name (with `password`). */
  username?: string;
  /** Password or personal access token (with `username`). */
  password?: string;
  /** OAuth2 refresh token (Docker's `identitytoken`), traded for access tokens. */
  identityToken?: string;
  /** A bearer token sent as it is (Docker's `registrytoken`). */
  registryToken?: string;
}

/** One parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  /** Lower-case scheme: `basic` or `bearer` (others are kept but not used). */
  scheme: string;
  /** Parameters, keys lower-cased (`realm`, `service`, `scope`, `error`). */
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header value into its challenges (a header may
 * hold several, separated by commas).
 *
 * @example
 * ```ts
 * import { parseChallenges } from "./auth.ts";
 * const [c] = parseChallenges('Bearer realm="https://a/token",service="reg",scope="repository:x:pull"');
 * console.assert(c?.scheme === "bearer" && c.params.service === "reg");
 * ```
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = () => {
    while (i < n && /[\s,]/.test(header[i]!)) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < n) {
    skipWs();
    const start = i;
    const word = token();
    if (word === "") {
      i++;
      continue;
    }
    let j = i;
    while (j < n && header[j] === " ") j++;
    if (header[j] === "=" && current !== undefined) {
      // A parameter of the current challenge.
      i = j + 1;
      while (i < n && header[i] === " ") i++;
      let value = "";
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === "\\" && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        const vs = i;
        while (i < n && header[i] !== ",") i++;
        value = header.slice(vs, i).trim();
      }
      current.params[word.toLowerCase()] = value;
    } else {
      if (i === start) i++;
      current = { scheme: word.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}

/**
 * The scope string for a repository: `repository:<name>:<actions>`.
 *
 * @example
 * ```ts
 * import { repositoryScope } from "./auth.ts";
 * console.assert(repositoryScope("library/alpine", ["pull", "push"]) === "repository:library/alpine:pull,push");
 * ```
 */
export function repositoryScope(repository: string, actions: readonly string[]): string {
  return `repository:${repository}:${actions.join(",")}`;
}

/**
 * Merges scope strings: the actions of scopes on the same resource are
 * united, and the result is sorted, so that equal needs give equal keys.
 *
 * @example
 * ```ts
 * import { mergeScopes } from "./auth.ts";
 * const s = mergeScopes(["repository:a:pull", "repository:a:push", "repository:b:pull"]);
 * console.assert(s.join(" ") === "repository:a:pull,push repository:b:pull");
 * ```
 */
export function mergeScopes(scopes: Iterable<string>): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const scope of scopes) {
    for (const one of scope.split(" ")) {
      if (one === "") continue;
      const colon = one.lastIndexOf(":");
      if (colon < 0) {
        byResource.set(one, byResource.get(one) ?? new Set());
        continue;
      }
      const resource = one.slice(0, colon);
      const set = byResource.get(resource) ?? new Set<string>();
      for (const a of one.slice(colon + 1).split(",")) if (a !== "") set.add(a);
      byResource.set(resource, set);
    }
  }
  return [...byResource].map(([r, actions]) =>
    actions.size === 0 ? r : `${r}:${[...actions].sort().join(",")}`
  ).sort();
}

/** What {@linkcode fetchToken} returns. */
export interface BearerToken {
  /** The access token. */
  token: string;
  /** When it stops being valid (ms since the epoch). */
  expiresAt: number;
  /** A refresh token the server handed out, if any. */
  refreshToken?: string;
}

/** Options of {@linkcode fetchToken}. */
export interface FetchTokenOptions {
  /** The fetch to use (e.g. one trusting a private CA). */
  fetch?: FetchLike;
  /** Credentials to present to the token server. */
  credentials?: Credentials | undefined;
  /** The clock (ms since the epoch). */
  now?: () => number;
  /** Whether plain `http://` realms are acceptable. */
  allowHttp?: (host: string) => boolean;
  /** Client id sent with OAuth2 requests. */
  clientId?: string;
  /** Cancels the request. */
  signal?: AbortSignal;
}

const MIN_TOKEN_LIFETIME_S = 60;

/**
 * Fetches a bearer token from a challenge's realm for a set of scopes: an
 * OAuth2 POST with the refresh token when there is an identity token, else
 * a GET with Basic credentials when there are some, else anonymously.
 *
 * @throws {RegistryError} when the token server refuses or answers nonsense.
 */
export async function fetchToken(
  challenge: Challenge,
  scopes: readonly string[],
  options: FetchTokenOptions = {},
): Promise<BearerToken> {
  const f = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const realm = challenge.params.realm;
  if (realm === undefined || realm === "") {
    throw new RegistryError("The registry's bearer challenge names no realm");
  }
  let url: URL;
  try {
    url = new URL(realm);
  } catch (e) {
    throw new RegistryError(`The token realm ${JSON.stringify(redactUrl(realm))} is not a URL`, {
      cause: e,
    });
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && options.allowHttp?.(url.host))) {
    throw new RegistryError(
      `Refusing to send credentials to the token realm ${redactUrl(url)} over ${url.protocol}`,
    );
  }
  const creds = options.credentials;
  const service = challenge.params.service;
  const secrets = [creds?.password, creds?.identityToken].filter((s): s is string =>
    s !== undefined
  );
  let res: Response;
  const signal = options.signal;
  const sentAt = now();
  if (creds?.identityToken !== undefined) {
    const form = new URLSearchParams();
    form.set("grant_type", "refresh_token");
    form.set("refresh_token", creds.identityToken);
    if (service !== undefined) form.set("service", service);
    form.set("client_id", options.clientId ?? "buildkit-ts");
    if (scopes.length > 0) form.set("scope", scopes.join(" "));
    res = await f(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
      ...(signal ? { signal } : {}),
    });
  } else {
    if (service !== undefined) url.searchParams.set("service", service);
    for (const s of scopes) url.searchParams.append("scope", s);
    const headers: Record<string, string> = {};
    if (creds?.username !== undefined && creds.password !== undefined) {
      headers.authorization = basicAuthorization(creds.username, creds.password);
      url.searchParams.set("account", creds.username);
    }
    res = await f(url, { headers, ...(signal ? { signal } : {}) });
  }
  const text = await res.text();
  if (!res.ok) {
    throw new RegistryError("Cannot get a registry token", {
      status: res.status,
      request: `${creds?.identityToken !== undefined ? "POST" : "GET"} ${
        redactUrl(url.origin + url.pathname)
      }`,
      secrets,
    });
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new RegistryError("The token server answered with something that is not JSON", {
      cause: e,
    });
  }
  const token = typeof body.token === "string" && body.token !== ""
    ? body.token
    : typeof body.access_token === "string"
    ? body.access_token
    : "";
  if (token === "") throw new RegistryError("The token server answered without a token");
  const expiresIn = typeof body.expires_in === "number" && body.expires_in >= MIN_TOKEN_LIFETIME_S
    ? body.expires_in
    : MIN_TOKEN_LIFETIME_S;
  // The lifetime counts from when the request was sent, by the local clock: `issued_at`
  // is the server's clock, and a skew between the two must not make every token stale.
  const out: BearerToken = { token, expiresAt: sentAt + expiresIn * 1000 };
  if (typeof body.refresh_token === "string") out.refreshToken = body.refresh_token;
  return out;
}

/**
 * The `Authorization` value for Basic credentials.
 *
 * @example
 * ```ts
 * import { basicAuthorization } from "./auth.ts";
 * console.assert(basicAuthorization("u", "p") === "Basic dTpw");
 * ```
 */
export function basicAuthorization(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

/** Options of {@linkcode RegistryAuth}. */
export interface RegistryAuthOptions {
  /** Looks up the registry's credentials, once, when first needed. */
  credentials?: () => Promise<Credentials | undefined>;
  /** The fetch used for token requests. */
  fetch?: FetchLike;
  /** The clock. */
  now?: () => number;
  /** Whether a plain-HTTP token realm is acceptable for a host. */
  allowHttp?: (host: string) => boolean;
  /** Receives every secret learned (passwords, tokens), for redaction. */
  secrets?: Set<string>;
}

/** Seconds before expiry at which a cached token is no longer handed out. */
const TOKEN_EXPIRY_SLACK_MS = 10_000;

/**
 * The authentication state of one registry: the last challenge, the
 * credentials, and bearer tokens cached per scope set until they expire.
 */
export class RegistryAuth {
  #options: RegistryAuthOptions;
  #challenge: Challenge | undefined;
  #credentials: Promise<Credentials | undefined> | undefined;
  #tokens = new Map<string, Promise<BearerToken>>();
  #secrets: Set<string>;
  /** How many tokens were fetched (for tests and logs). */
  tokenRequests = 0;

  /** Builds the state for one registry. */
  constructor(options: RegistryAuthOptions = {}) {
    this.#options = options;
    this.#secrets = options.secrets ?? new Set();
  }

  /** The challenge in force, if the registry sent one. */
  get challenge(): Challenge | undefined {
    return this.#challenge;
  }

  /**
   * Records the challenge of a 401 response. Returns whether anything
   * changed that makes a retry worth it (a first challenge, a new scheme or
   * realm, or a token that the registry no longer accepts).
   */
  setChallenge(header: string | null, scopes: readonly string[] = []): boolean {
    const list = header === null ? [] : parseChallenges(header);
    const pick = list.find((c) => c.scheme === "bearer") ?? list.find((c) => c.scheme === "basic");
    if (pick === undefined) return false;
    const prev = this.#challenge;
    this.#challenge = pick;
    if (
      prev === undefined || prev.scheme !== pick.scheme || prev.params.realm !== pick.params.realm
    ) {
      return true;
    }
    if (pick.scheme === "bearer") {
      // The token we sent was refused: forget it so that a fresh one is fetched.
      return this.#tokens.delete(this.#key(mergeScopes([...scopes, pick.params.scope ?? ""])));
    }
    return false;
  }

  /** The credentials, looked up once. */
  credentials(): Promise<Credentials | undefined> {
    this.#credentials ??= (this.#options.credentials?.() ?? Promise.resolve(undefined)).then(
      (c) => {
        for (const s of [c?.password, c?.identityToken, c?.registryToken]) {
          if (s !== undefined && s !== "") this.#secrets.add(s);
        }
        if (c?.username !== undefined && c.password !== undefined) {
          this.#secrets.add(basicAuthorization(c.username, c.password).slice(6));
        }
        return c;
      },
    );
    return this.#credentials;
  }

  #key(scopes: readonly string[]): string {
    const c = this.#challenge;
    return `${c?.params.realm ?? ""}\n${c?.params.service ?? ""}\n${scopes.join(" ")}`;
  }

  /**
   * The `Authorization` header for a request needing `scopes`, or
   * `undefined` when no challenge has been seen (anonymous).
   */
  async authorization(
    scopes: readonly string[],
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const c = this.#challenge;
    if (c === undefined) return undefined;
    const creds = await this.credentials();
    if (c.scheme === "basic") {
      if (creds?.username === undefined || creds.password === undefined) return undefined;
      return basicAuthorization(creds.username, creds.password);
    }
    if (c.scheme !== "bearer") return undefined;
    if (creds?.registryToken !== undefined) return `Bearer ${creds.registryToken}`;
    const all = mergeScopes([...scopes, ...(c.params.scope ? [c.params.scope] : [])]);
    const key = this.#key(all);
    const now = (this.#options.now ?? Date.now)();
    const cached = this.#tokens.get(key);
    if (cached !== undefined) {
      try {
        const t = await cached;
        if (t.expiresAt - TOKEN_EXPIRY_SLACK_MS > now) return `Bearer ${t.token}`;
      } catch {
        // A failed fetch is not cached: fall through and fetch again.
      }
      if (this.#tokens.get(key) === cached) this.#tokens.delete(key);
    }
    const pending = fetchToken(c, all, {
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      credentials: creds,
      ...(this.#options.now ? { now: this.#options.now } : {}),
      ...(this.#options.allowHttp ? { allowHttp: this.#options.allowHttp } : {}),
      ...(signal ? { signal } : {}),
    }).then((t) => {
      this.#secrets.add(t.token);
      return t;
    });
    this.tokenRequests++;
    this.#tokens.set(key, pending);
    try {
      const t = await pending;
      return `Bearer ${t.token}`;
    } catch (e) {
      if (this.#tokens.get(key) === pending) this.#tokens.delete(key);
      throw e;
    }
  }
}
