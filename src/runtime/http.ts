// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * HTTP helpers that differ between runtimes: a `fetch` that trusts extra
 * certificate authorities (a registry with a self-signed certificate).
 *
 * Deno takes the CA through `Deno.createHttpClient({ caCerts })` and the
 * `client` fetch option; Bun through the `tls: { ca }` fetch option. Node's
 * fetch has neither: there the CA must come from `NODE_EXTRA_CA_CERTS`.
 *
 * @module
 */

/** The signature of the web `fetch`. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

interface DenoHttp {
  createHttpClient(options: { caCerts?: string[] }): { close(): void };
}

/**
 * Returns a `fetch` that trusts the given PEM certificate authorities in
 * addition to the system ones.
 *
 * @throws {Error} on a runtime that cannot add a CA per request (Node: use
 * `NODE_EXTRA_CA_CERTS`).
 *
 * @example
 * ```ts
 * import { fetchWithCa } from "./http.ts";
 * const f = fetchWithCa([]);
 * console.assert(typeof f === "function");
 * ```
 */
export function fetchWithCa(caPems: string | readonly string[]): FetchLike {
  const cas = typeof caPems === "string" ? [caPems] : [...caPems];
  const g = globalThis as unknown as { Deno?: DenoHttp; Bun?: unknown };
  if (cas.length === 0) return (input, init) => fetch(input, init);
  if (g.Deno !== undefined) {
    const client = g.Deno.createHttpClient({ caCerts: cas });
    return (input, init) => fetch(input, { ...init, client } as RequestInit);
  }
  if (g.Bun !== undefined) {
    const ca = cas.join("\n");
    return (input, init) => fetch(input, { ...init, tls: { ca } } as RequestInit);
  }
  throw new Error(
    "This runtime cannot add a certificate authority to fetch; set NODE_EXTRA_CA_CERTS instead",
  );
}
