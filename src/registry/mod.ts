// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The OCI distribution client: registry auth (anonymous, Basic, bearer
 * tokens; Docker and Podman credential files and helpers), manifests and
 * blobs verified against their digests, pull into and push from a content
 * store, cross-repository mounts, retries with backoff, redirects without
 * leaking credentials, and redaction of every secret from messages.
 *
 * @example
 * ```ts ignore
 * import { pullImage, pushImage } from "./mod.ts";
 * import { MemoryContentStore } from "../store/mod.ts";
 * const store = new MemoryContentStore();
 * const { root } = await pullImage("127.0.0.1:5000/app:1", store);
 * await pushImage("127.0.0.1:5000/copy:1", store, { root, mountFrom: ["app"] });
 * ```
 *
 * @module
 */

export {
  basicAuthorization,
  type BearerToken,
  type Challenge,
  type Credentials,
  fetchToken,
  type FetchTokenOptions,
  mergeScopes,
  parseChallenges,
  RegistryAuth,
  type RegistryAuthOptions,
  repositoryScope,
} from "./auth.ts";
export {
  type FetchedManifest,
  MANIFEST_ACCEPT,
  MAX_MANIFEST_BYTES,
  type PushBlobOptions,
  type PushBlobResult,
  RegistryClient,
  type RegistryClientOptions,
} from "./client.ts";
export {
  CredentialError,
  credentialFiles,
  type CredentialOptions,
  dockerConfigPath,
  type HelperResult,
  type HelperRunner,
  removeCredentials,
  resolveCredentials,
  type ResolveCredentialsOptions,
  runCredentialHelper,
  saveCredentials,
} from "./credentials.ts";
export {
  isTemporaryStatus,
  parseErrorBody,
  RegistryDigestError,
  RegistryError,
  type RegistryErrorEntry,
  type RegistryErrorOptions,
} from "./errors.ts";
export {
  clientFor,
  type PulledManifest,
  pullImage,
  type PullOptions,
  type PullResult,
} from "./pull.ts";
export { pushImage, type PushOptions, type PushResult } from "./push.ts";
export { redact, REDACTED, redactUrl } from "./redact.ts";
export {
  allowsPlainHttp,
  credentialKey,
  DOCKER_HUB_API_HOST,
  DOCKER_HUB_AUTH_KEY,
  hostName,
  hostOfKey,
  isLocalHost,
  registryApiHost,
} from "./reference_host.ts";
export { isRetryable, parseRetryAfter, type RetryOptions, withRetry } from "./retry.ts";
export { digestOf, type ExpectedContent, verifyBytes, verifyStream } from "./verify.ts";
export { type FetchLike, fetchWithCa } from "../runtime/mod.ts";
