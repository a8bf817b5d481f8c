// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CredentialError,
  credentialFiles,
  removeCredentials,
  resolveCredentials,
  saveCredentials,
} from "../../src/registry/mod.ts";
import { tempDir } from "./_image.ts";

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value));
}

/** A fake `docker-credential-<name>` helper keeping its store in a JSON file. */
function fakeHelper(dir: string, name: string): { bin: string; store: string } {
  const bin = path.join(dir, "bin");
  const store = path.join(dir, `${name}-store.json`);
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(store, "{}");
  const script = `#!/bin/sh
store='${store}'
input=$(cat)
case "$1" in
  get)
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); k=sys.argv[2]
if k in d: print(json.dumps({"ServerURL":k,"Username":d[k][0],"Secret":d[k][1]}))
else: print("credentials not found in native keychain"); sys.exit(1)' "$store" "$input" ;;
  store)
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=json.loads(sys.argv[2]); d[v["ServerURL"]]=[v["Username"],v["Secret"]]; json.dump(d,open(sys.argv[1],"w"))' "$store" "$input" ;;
  erase)
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop(sys.argv[2],None); json.dump(d,open(sys.argv[1],"w"))' "$store" "$input" ;;
esac
`;
  fs.writeFileSync(path.join(bin, `docker-credential-${name}`), script, { mode: 0o755 });
  return { bin, store };
}

describe("credentials", () => {
  it("resolveCredentials() decodes base64 auth from $DOCKER_CONFIG/config.json", async () => {
    const dir = tempDir();
    writeJson(path.join(dir, "config.json"), {
      auths: {
        "reg.example:5000": { auth: btoa("alice:pa:ss") },
        "https://index.docker.io/v1/": { auth: btoa("hubuser:hubpass") },
      },
    });
    const env = { DOCKER_CONFIG: dir };
    assert.deepEqual(await resolveCredentials("reg.example:5000", { env }), {
      username: "alice",
      password: "pa:ss",
    });
    assert.deepEqual(await resolveCredentials("docker.io", { env }), {
      username: "hubuser",
      password: "hubpass",
    });
    assert.equal(await resolveCredentials("other.example", { env }), undefined);
  });

  it("resolveCredentials() reads identitytoken entries as identity tokens", async () => {
    const dir = tempDir();
    writeJson(path.join(dir, "config.json"), {
      auths: { "https://ghcr.io": { identitytoken: "refresh-xyz" } },
    });
    assert.deepEqual(await resolveCredentials("ghcr.io", { env: { DOCKER_CONFIG: dir } }), {
      identityToken: "refresh-xyz",
    });
  });

  it("resolveCredentials() falls back to REGISTRY_AUTH_FILE with per-repository keys", async () => {
    const dir = tempDir();
    const authFile = path.join(dir, "auth.json");
    writeJson(authFile, {
      auths: {
        "quay.example": { auth: btoa("host:level") },
        "quay.example/team/app": { auth: btoa("repo:level") },
      },
    });
    const env = { DOCKER_CONFIG: path.join(dir, "none"), REGISTRY_AUTH_FILE: authFile };
    assert.equal(
      (await resolveCredentials("quay.example", { env, repository: "team/app" }))?.username,
      "repo",
    );
    assert.equal(
      (await resolveCredentials("quay.example", { env, repository: "team/other" }))?.username,
      "host",
    );
  });

  it("credentialFiles() lists docker config, REGISTRY_AUTH_FILE, then podman's auth.json", () => {
    assert.deepEqual(
      credentialFiles({
        env: { DOCKER_CONFIG: "/d", REGISTRY_AUTH_FILE: "/r.json", XDG_RUNTIME_DIR: "/run/u" },
        home: "/h",
      }),
      [
        "/d/config.json",
        "/r.json",
        "/run/u/containers/auth.json",
        "/h/.config/containers/auth.json",
      ],
    );
    assert.deepEqual(credentialFiles({ authFile: "/only.json" }), ["/only.json"]);
  });

  it("resolveCredentials() asks credHelpers before credsStore, with the server URL on stdin", async () => {
    const dir = tempDir();
    const a = fakeHelper(dir, "alpha");
    const b = fakeHelper(dir, "beta");
    fs.writeFileSync(a.store, JSON.stringify({ "reg.example": ["from-alpha", "pw-a"] }));
    fs.writeFileSync(
      b.store,
      JSON.stringify({
        "reg.example": ["from-beta", "pw-b"],
        "https://index.docker.io/v1/": ["hub", "pw-hub"],
      }),
    );
    writeJson(path.join(dir, "config.json"), {
      credHelpers: { "reg.example": "alpha" },
      credsStore: "beta",
    });
    const env = { DOCKER_CONFIG: dir, PATH: `${a.bin}:${process.env.PATH}` };
    assert.equal((await resolveCredentials("reg.example", { env }))?.username, "from-alpha");
    assert.equal((await resolveCredentials("docker.io", { env }))?.password, "pw-hub");
    assert.equal(await resolveCredentials("absent.example", { env }), undefined);
  });

  it("resolveCredentials() reports a broken config without quoting its content", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "config.json"), '{"auths": {"x": {"auth": "sekrit"');
    const e = await resolveCredentials("x", { env: { DOCKER_CONFIG: dir } }).catch((e) => e);
    assert.ok(e instanceof CredentialError);
    assert.ok(!e.message.includes("sekrit"));
  });

  it("saveCredentials() and removeCredentials() edit config.json like docker login/logout", async () => {
    const dir = tempDir();
    const env = { DOCKER_CONFIG: dir };
    writeJson(path.join(dir, "config.json"), { auths: {}, psFormat: "table" });
    const file = await saveCredentials("reg.example", { username: "u", password: "p" }, { env });
    assert.equal(file, path.join(dir, "config.json"));
    const saved = JSON.parse(fs.readFileSync(file, "utf8"));
    assert.deepEqual(saved.auths["reg.example"], { auth: btoa("u:p") });
    assert.equal(saved.psFormat, "table");
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    await saveCredentials("docker.io", { username: "h", password: "q" }, { env });
    assert.ok(JSON.parse(fs.readFileSync(file, "utf8")).auths["https://index.docker.io/v1/"]);
    assert.equal(await removeCredentials("reg.example", { env }), true);
    assert.equal(JSON.parse(fs.readFileSync(file, "utf8")).auths["reg.example"], undefined);
    assert.equal(await removeCredentials("reg.example", { env }), false);
  });

  it("saveCredentials() stores through credsStore and leaves an empty auths entry", async () => {
    const dir = tempDir();
    const h = fakeHelper(dir, "gamma");
    writeJson(path.join(dir, "config.json"), { credsStore: "gamma" });
    const env = { DOCKER_CONFIG: dir, PATH: `${h.bin}:${process.env.PATH}` };
    await saveCredentials("reg.example", { username: "u2", password: "p2" }, { env });
    assert.deepEqual(JSON.parse(fs.readFileSync(h.store, "utf8")), { "reg.example": ["u2", "p2"] });
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    assert.deepEqual(config.auths, { "reg.example": {} });
    assert.equal((await resolveCredentials("reg.example", { env }))?.password, "p2");
    assert.equal(await removeCredentials("reg.example", { env }), true);
    assert.deepEqual(JSON.parse(fs.readFileSync(h.store, "utf8")), {});
  });
});
