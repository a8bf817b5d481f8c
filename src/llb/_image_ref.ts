// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Minimal image reference normalization for `docker-image://` identifiers,
 * like Docker's `ParseNormalizedNamed` + `TagNameOnly`:
 * `alpine` → `docker.io/library/alpine:latest`.
 */
export function normalizeImageRef(ref: string): string {
  if (ref === "" || /\s/.test(ref)) throw new TypeError(`Invalid image reference "${ref}"`);
  let name = ref;
  let digest = "";
  const at = name.indexOf("@");
  if (at >= 0) {
    digest = name.slice(at);
    name = name.slice(0, at);
    if (!/^@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/.test(digest)) {
      throw new TypeError(`Invalid image reference "${ref}": bad digest`);
    }
  }
  let tag = "";
  const lastColon = name.lastIndexOf(":");
  if (lastColon > name.lastIndexOf("/")) {
    tag = name.slice(lastColon);
    name = name.slice(0, lastColon);
    if (!/^:[\w][\w.-]{0,127}$/.test(tag)) {
      throw new TypeError(`Invalid image reference "${ref}": bad tag`);
    }
  }
  const slash = name.indexOf("/");
  const first = slash >= 0 ? name.slice(0, slash) : "";
  let domain: string;
  let path: string;
  if (slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    domain = first;
    path = name.slice(slash + 1);
  } else {
    domain = "docker.io";
    path = name;
  }
  if (domain === "index.docker.io") domain = "docker.io";
  if (domain === "docker.io" && !path.includes("/")) path = `library/${path}`;
  if (
    !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(
      path,
    )
  ) {
    throw new TypeError(
      `Invalid image reference "${ref}": repository name must be lowercase alphanumeric path components`,
    );
  }
  if (tag === "" && digest === "") tag = ":latest";
  return `${domain}/${path}${tag}${digest}`;
}
