// Copyright 2026 the buildkit-ts authors. MIT license.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import {
  fetchWithCa,
  pullImage,
  pushImage,
  RegistryClient,
  RegistryError,
  resolveCredentials,
  saveCredentials,
} from "../../src/registry/mod.ts";
import { registryUnavailable, startRegistry, type TestRegistry } from "./_registry.ts";
import { makeImage, tempDir, tempStore } from "./_image.ts";

const unavailable = registryUnavailable();

function run(cmd: string, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += String(d)));
    child.on("close", (status) => resolve({ status, stderr }));
    child.on("error", (e) => resolve({ status: null, stderr: String(e) }));
  });
}
const skopeo = spawnSync("skopeo", ["--version"]).error === undefined;

describe("RegistryClient with htpasswd auth behind TLS", { skip: unavailable }, () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry({ auth: "htpasswd", tls: true });
  });
  after(async () => {
    await reg?.stop();
  });

  it("pushImage() and pullImage() authenticate with Basic credentials over HTTPS", async () => {
    const fetch = fetchWithCa(reg.caPem!);
    const client = new RegistryClient(reg.host, {
      fetch,
      credentials: { username: reg.user, password: reg.pass },
    });
    assert.deepEqual(await client.ping(), { baseUrl: `https://${reg.host}`, challenge: "basic" });
    const src = tempStore();
    const img = await makeImage(src);
    await pushImage(`${reg.host}/secure/app:1`, src, { root: img.manifest, client });
    const pulled = await pullImage(`${reg.host}/secure/app:1`, tempStore(), { client });
    assert.equal(pulled.root.digest, img.manifest.digest);
  });

  it("RegistryClient reads credentials from $DOCKER_CONFIG/config.json", async () => {
    const dir = tempDir();
    const env = { DOCKER_CONFIG: dir, HOME: dir, PATH: process.env.PATH };
    await saveCredentials(reg.host, { username: reg.user, password: reg.pass }, { env });
    const client = new RegistryClient(reg.host, {
      fetch: fetchWithCa(reg.caPem!),
      credentials: (domain) => resolveCredentials(domain, { env }),
    });
    const src = tempStore();
    const img = await makeImage(src, { layerSizes: [64] });
    await pushImage(`${reg.host}/fromconfig:1`, src, { root: img.manifest, client });
    assert.equal((await client.headManifest("fromconfig", "1"))?.digest, img.manifest.digest);
  });

  it("a request without or with wrong credentials fails with 401 and no password in the message", async () => {
    const anon = new RegistryClient(reg.host, { fetch: fetchWithCa(reg.caPem!) });
    const e1 = await anon.getManifest("secure/app", "1").catch((e) => e);
    assert.ok(e1 instanceof RegistryError, String(e1));
    assert.equal(e1.status, 401);
    const wrong = "not-the-right-password-1234";
    const bad = new RegistryClient(reg.host, {
      fetch: fetchWithCa(reg.caPem!),
      credentials: { username: reg.user, password: wrong },
    });
    const e2 = await bad.getManifest("secure/app", "1").catch((e) => e);
    assert.ok(e2 instanceof RegistryError);
    assert.equal(e2.status, 401);
    assert.ok(!e2.message.includes(wrong), e2.message);
    assert.ok(!e2.message.includes(btoa(`${reg.user}:${wrong}`)), e2.message);
    assert.equal(e2.temporary, false);
  });

  it("RegistryClient does not fall back to plain HTTP when the certificate is not trusted", async () => {
    const client = new RegistryClient(reg.host, {
      credentials: { username: reg.user, password: reg.pass },
      retry: { attempts: 1 },
    });
    const e = await client.ping().catch((e) => e);
    assert.ok(e instanceof RegistryError, String(e));
    assert.match(e.message, /Cannot reach the registry/);
    assert.ok(!e.message.includes(reg.pass));
  });

  it("skopeo inspect reads the pushed image with the same credentials and CA", {
    skip: skopeo ? false : "skopeo not installed",
  }, () => {
    const r = spawnSync("skopeo", [
      "inspect",
      "--cert-dir",
      reg.certDir!,
      "--creds",
      `${reg.user}:${reg.pass}`,
      `docker://${reg.host}/secure/app:1`,
    ], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).Name, `${reg.host}/secure/app`);
  });
});

describe("RegistryClient with bearer-token auth", { skip: unavailable }, () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry({ auth: "token" });
  });
  after(async () => {
    await reg?.stop();
  });

  it("pushImage() asks one token for push on the target and pull on the mount source", async () => {
    const src = tempStore();
    const img = await makeImage(src);
    const creds = { username: reg.user, password: reg.pass };
    await pushImage(`${reg.host}/tok/base:1`, src, {
      root: img.manifest,
      client: new RegistryClient(reg.host, { credentials: creds }),
    });
    const client = new RegistryClient(reg.host, { credentials: creds });
    const before = reg.token!.requests.length;
    const r = await pushImage(`${reg.host}/tok/derived:1`, src, {
      root: img.manifest,
      client,
      mountFrom: ["tok/base"],
    });
    assert.deepEqual(r.blobs, { exists: 0, mounted: 3, uploaded: 0 });
    const asked = reg.token!.requests.slice(before);
    assert.equal(client.auth.tokenRequests, 1);
    assert.equal(asked.length, 1);
    assert.deepEqual(asked[0]!.scopes.sort(), [
      "repository:tok/base:pull",
      "repository:tok/derived:pull,push",
    ]);
    assert.equal(asked[0]!.account, reg.user);
  });

  it("pullImage() reuses a cached token until it expires", async () => {
    const src = tempStore();
    const img = await makeImage(src, { layerSizes: [10] });
    const creds = { username: reg.user, password: reg.pass };
    await pushImage(`${reg.host}/tok/cache:1`, src, {
      root: img.manifest,
      client: new RegistryClient(reg.host, { credentials: creds }),
    });
    let clock = Date.now();
    const client = new RegistryClient(reg.host, { credentials: creds, now: () => clock });
    await pullImage(`${reg.host}/tok/cache:1`, tempStore(), { client });
    await pullImage(`${reg.host}/tok/cache:1`, tempStore(), { client });
    assert.equal(client.auth.tokenRequests, 1);
    clock += 301_000; // past the 300 s the token server grants
    await pullImage(`${reg.host}/tok/cache:1`, tempStore(), { client });
    assert.equal(client.auth.tokenRequests, 2);
  });

  it("a refused token request fails with 401 and no password in the message", async () => {
    const wrong = "wrong-password-5678";
    const client = new RegistryClient(reg.host, {
      credentials: { username: reg.user, password: wrong },
    });
    const e = await pullImage(`${reg.host}/tok/cache:1`, tempStore(), { client }).catch((e) => e);
    assert.ok(e instanceof RegistryError, String(e));
    assert.equal(e.status, 401);
    assert.match(e.message, /Cannot get a registry token/);
    assert.ok(!e.message.includes(wrong));
  });

  it("skopeo copy pulls through the token flow what pushImage() pushed", {
    skip: skopeo ? false : "skopeo not installed",
  }, async () => {
    // Asynchronous: the token server runs in this process and must keep answering.
    const out = path.join(tempDir(), "oci");
    const r = await run("skopeo", [
      "copy",
      "--src-tls-verify=false",
      "--src-creds",
      `${reg.user}:${reg.pass}`,
      `docker://${reg.host}/tok/derived:1`,
      `oci:${out}:x`,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(out, "index.json")));
  });
});
