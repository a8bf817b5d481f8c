// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * Removal of credentials from text bound for messages and logs: header
 * values (`Basic …`, `Bearer …`), URL user info, token-like query
 * parameters, and any secret the caller names.
 *
 * @module
 */

/** What replaces a secret. */
export const REDACTED = "***";

const AUTH_SCHEME_RE = /\b(Basic|Bearer)\s+[A-Za-z0-9._~+/=-]+/gi;
const URL_USERINFO_RE = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi;
const QUERY_SECRET_RE =
  /([?&](?:access_token|refresh_token|token|password|passwd|secret|X-Amz-Signature|X-Amz-Credential|sig|signature)=)[^&\s"']+/gi;
const JSON_SECRET_RE =
  /("(?:password|secret|token|access_token|refresh_token|identitytoken|auth|Secret)"\s*:\s*")[^"]*(")/g;

/**
 * Replaces credentials in `text` with `***`: `Basic`/`Bearer` header values,
 * `user:pass@` in URLs, token and signature query parameters, secret JSON
 * fields, and every string in `secrets` (passwords, tokens) longer than 3
 * characters.
 *
 * @example
 * ```ts
 * import { redact } from "./redact.ts";
 * console.assert(redact("GET https://u:p@h/x?token=abc") === "GET https://***@h/x?token=***");
 * console.assert(redact("bad s3cret!", ["s3cret!"]) === "bad ***");
 * ```
 */
export function redact(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  const list = [...secrets].filter((s) => s.length > 3).sort((a, b) => b.length - a.length);
  for (const s of list) out = out.split(s).join(REDACTED);
  return out
    .replace(AUTH_SCHEME_RE, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(URL_USERINFO_RE, `$1${REDACTED}@`)
    .replace(QUERY_SECRET_RE, `$1${REDACTED}`)
    .replace(JSON_SECRET_RE, `$1${REDACTED}$2`);
}

/**
 * Strips user info and secret query parameters from a URL, for messages.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./redact.ts";
 * console.assert(redactUrl("https://h/b?X-Amz-Signature=zz&a=1") === "https://h/b?X-Amz-Signature=***&a=1");
 * ```
 */
export function redactUrl(url: string | URL): string {
  return redact(String(url));
}
