// Copyright 2026 the buildkit-ts authors. MIT license.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import {
  pullImage,
  pushImage,
  RegistryClient,
  RegistryDigestError,
  RegistryError,
} from "../../src/registry/mod.ts";
import { registryUnavailable, startRegistry, type TestRegistry } from "./_registry.ts";
import { type FaultyProxy, startFaultyProxy } from "./_faulty_proxy.ts";
import { makeImage, readAll, sha, tempStore, type TestImage } from "./_image.ts";

const unavailable = registryUnavailable();
const FAST = { baseDelayMs: 5, maxDelayMs: 20 };

describe("RegistryClient through a fault-injecting proxy", { skip: unavailable }, () => {
  let reg: TestRegistry;
  let proxy: FaultyProxy;
  let img: TestImage;
  before(async () => {
    reg = await startRegistry();
    proxy = await startFaultyProxy(reg.host);
    const src = tempStore();
    img = await makeImage(src, { layerSizes: [300_000, 1000] });
    await pushImage(`${reg.host}/faulty/app:1`, src, { root: img.manifest });
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
  });
  const client = (attempts = 5) =>
    new RegistryClient(proxy.host, { retry: { ...FAST, attempts }, plainHttp: true });

  it("pullImage() retries 500s and succeeds", async () => {
    proxy.faults.fail500 = 3;
    const start = proxy.requests.length;
    const pulled = await pullImage(`${proxy.host}/faulty/app:1`, tempStore(), {
      client: client(),
    });
    assert.equal(pulled.root.digest, img.manifest.digest);
    const statuses = proxy.requests.slice(start).map((r) => r.status);
    assert.deepEqual(statuses.slice(0, 3), [500, 500, 500]);
  });

  it("pullImage() retries a 429 after the Retry-After delay", async () => {
    proxy.faults.fail429 = 2;
    const pulled = await pullImage(`${proxy.host}/faulty/app:1`, tempStore(), {
      client: client(),
    });
    assert.equal(pulled.manifests.length, 1);
    assert.equal(proxy.faults.fail429, 0);
  });

  it("pullImage() gives up after the bounded number of attempts", async () => {
    proxy.faults.fail500 = 100;
    const start = proxy.requests.length;
    const e = await pullImage(`${proxy.host}/faulty/app:1`, tempStore(), { client: client(3) })
      .catch((e) => e);
    proxy.faults.fail500 = 0;
    assert.ok(e instanceof RegistryError, String(e));
    assert.equal(e.status, 500);
    assert.equal(e.temporary, true);
    assert.ok(e.hasCode("UNKNOWN"));
    // The first use of the client is its ping: tried 3 times, no more.
    assert.equal(proxy.requests.length - start, 3);
  });

  it("pullImage() restarts a blob download cut off mid-body", async () => {
    proxy.faults.resetNextBlobGet = true;
    const start = proxy.requests.length;
    const store = tempStore();
    const pulled = await pullImage(`${proxy.host}/faulty/app:1`, store, { client: client() });
    assert.equal(proxy.faults.resetNextBlobGet, false);
    assert.equal(pulled.pulledBlobs, 3);
    for (const l of img.layers) assert.equal(sha(await store.readBytes(l.digest)), l.digest);
    const blobGets = proxy.requests.slice(start).filter((r) => r.url.includes("/blobs/"));
    assert.ok(blobGets.length >= 4, `expected a repeated blob GET, saw ${blobGets.length}`);
    assert.deepEqual(fs.readdirSync(path.join(store.root, "ingest")), []);
  });

  it("pullImage() refuses a corrupted blob and stores nothing under its digest", async () => {
    proxy.faults.corruptBlobs = true;
    const store = tempStore();
    try {
      const e = await pullImage(`${proxy.host}/faulty/app:1`, store, { client: client() })
        .catch((e) => e);
      assert.ok(e instanceof RegistryDigestError, String(e));
      assert.match(e.message, /failed verification/);
      assert.equal(e.temporary, false);
    } finally {
      proxy.faults.corruptBlobs = false;
    }
    for (const d of [img.config, ...img.layers]) assert.equal(await store.has(d.digest), false);
    assert.deepEqual(fs.readdirSync(path.join(store.root, "ingest")), []);
  });
});

describe("RegistryClient redirects", () => {
  let registry: http.Server;
  let storage: http.Server;
  const seen: { server: string; url: string; authorization: string | undefined }[] = [];
  const blob = new TextEncoder().encode("blob bytes behind a redirect");
  const digest = sha(blob);
  let regPort = 0;
  let storagePort = 0;
  before(async () => {
    const listen = (s: http.Server) =>
      new Promise<number>((r) =>
        s.listen(0, "127.0.0.1", () => r((s.address() as AddressInfo).port))
      );
    storage = http.createServer((req, res) => {
      seen.push({ server: "storage", url: req.url!, authorization: req.headers.authorization });
      res.writeHead(200, { "content-length": String(blob.byteLength) }).end(blob);
    });
    registry = http.createServer((req, res) => {
      seen.push({ server: "registry", url: req.url!, authorization: req.headers.authorization });
      if (req.headers.authorization !== "Basic " + btoa("u:secret-pw")) {
        res.writeHead(401, { "www-authenticate": 'Basic realm="test"' }).end();
      } else if (req.url === "/v2/") res.writeHead(200).end();
      else if (req.url === `/v2/r/blobs/${digest}`) {
        res.writeHead(307, { location: `/same-origin/${digest}` }).end();
      } else if (req.url === `/same-origin/${digest}`) {
        // Another host name for the same machine: a different origin.
        res.writeHead(302, { location: `http://localhost:${storagePort}/b?sig=s3cr3tsig` }).end();
      } else res.writeHead(404).end();
    });
    storagePort = await listen(storage);
    regPort = await listen(registry);
  });
  after(async () => {
    storage.closeAllConnections?.();
    registry.closeAllConnections?.();
    await new Promise((r) => storage.close(r));
    await new Promise((r) => registry.close(r));
  });

  it("getBlob() keeps Authorization on the same origin and drops it for another host", async () => {
    const client = new RegistryClient(`127.0.0.1:${regPort}`, {
      plainHttp: true,
      credentials: { username: "u", password: "secret-pw" },
    });
    const got = await readAll(await client.getBlob("r", { digest, size: blob.byteLength }));
    assert.equal(sha(got), digest);
    const same = seen.find((s) => s.url.startsWith("/same-origin/"));
    assert.ok(same?.authorization?.startsWith("Basic "));
    const other = seen.filter((s) => s.server === "storage");
    assert.equal(other.length, 1);
    assert.equal(other[0]!.authorization, undefined);
  });

  it("RegistryClient logs redirects and requests without secrets", async () => {
    const lines: string[] = [];
    const client = new RegistryClient(`127.0.0.1:${regPort}`, {
      plainHttp: true,
      credentials: { username: "u", password: "secret-pw" },
      log: (l) => lines.push(l),
    });
    await readAll(await client.getBlob("r", { digest, size: blob.byteLength }));
    const text = lines.join("\n");
    assert.match(text, /redirect, no credentials/);
    assert.ok(!text.includes("secret-pw") && !text.includes("s3cr3tsig"), text);
    assert.ok(!text.includes(btoa("u:secret-pw")), text);
  });
});
