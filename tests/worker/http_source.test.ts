// The HTTP source against a server of its own on 127.0.0.1: names, modes, times, the
// conditional requests that avoid a second download, checksums, redirects and errors.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeLayerFromTree } from "../../src/archive/mod.ts";
import { type LayerRecord, openStore, type Store } from "../../src/store/mod.ts";
import {
  httpFileName,
  HttpSource,
  parseHttpIdentifier,
  redactUrl,
} from "../../src/worker/http_source.ts";

const LAST_MODIFIED = "Tue, 14 Nov 2023 22:13:20 GMT";

interface Served {
  body: string;
  etag?: string;
  lastModified?: string;
  disposition?: string;
  status?: number;
  location?: string;
}

/** A tiny HTTP server honouring If-None-Match / If-Modified-Since; counts full bodies sent. */
class TestServer {
  readonly files = new Map<string, Served>();
  readonly bodies: string[] = [];
  readonly requests: Array<{ path: string; headers: IncomingMessage["headers"] }> = [];
  #server: Server | undefined;
  base = "";

  async start(): Promise<void> {
    this.#server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const p = (req.url ?? "/").split("?")[0]!;
      this.requests.push({ path: p, headers: req.headers });
      const f = this.files.get(p);
      if (!f) {
        res.writeHead(404, { "Content-Type": "text/plain" });
        res.end("not found");
        return;
      }
      if (f.location) {
        res.writeHead(f.status ?? 302, { Location: f.location });
        res.end();
        return;
      }
      const headers: Record<string, string> = {};
      if (f.etag) headers["ETag"] = f.etag;
      if (f.lastModified) headers["Last-Modified"] = f.lastModified;
      if (f.disposition) headers["Content-Disposition"] = f.disposition;
      const inm = req.headers["if-none-match"];
      const ims = req.headers["if-modified-since"];
      if (
        (inm !== undefined && f.etag && inm.split(/\s*,\s*/).includes(f.etag)) ||
        (inm === undefined && ims !== undefined && f.lastModified === ims)
      ) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      this.bodies.push(p);
      res.writeHead(f.status ?? 200, headers);
      res.end(f.body);
    });
    await new Promise<void>((r) => this.#server!.listen(0, "127.0.0.1", () => r()));
    const addr = this.#server.address();
    if (addr === null || typeof addr === "string") throw new Error("no port");
    this.base = `http://127.0.0.1:${addr.port}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => {
      const s = this.#server as Server & { closeAllConnections?: () => void };
      s.closeAllConnections?.();
      s.close(() => r());
    });
  }
}

function newStore(): Store {
  return openStore(join(mkdtempSync(join(tmpdir(), "bk-http-")), "store"));
}

function sha256(s: string): string {
  return "sha256:" + createHash("sha256").update(s).digest("hex");
}

function source(store: Store, url: string, attrs: Record<string, string> = {}): HttpSource {
  return new HttpSource(parseHttpIdentifier(url, attrs), {
    store,
    opDigest: sha256(url + JSON.stringify(attrs)),
    writeLayer: async (dir: string): Promise<LayerRecord> => {
      const w = await store.content.writer();
      const r = await writeLayerFromTree(dir, { sink: w, compression: "gzip" });
      await w.commit({ digest: r.digest });
      return { mediaType: r.mediaType, digest: r.digest, size: r.size, diffId: r.diffId };
    },
  });
}

const signal = new AbortController().signal;

describe("HttpSource", () => {
  const server = new TestServer();
  before(() => server.start());
  after(() => server.stop());

  it("HttpSource.snapshot() holds the file named after the URL, mode 0600, mtime Last-Modified", async () => {
    server.files.set("/dir/hello.txt", {
      body: "hello\n",
      etag: '"v1"',
      lastModified: LAST_MODIFIED,
    });
    const store = newStore();
    const r = await source(store, `${server.base}/dir/hello.txt`).snapshot(signal);
    const file = join(store.snapshots.dir(r.snapshotId!), "hello.txt");
    assert.equal(readFileSync(file, "utf8"), "hello\n");
    const st = statSync(file);
    assert.equal(st.mode & 0o7777, 0o600);
    assert.equal(st.mtime.getTime(), Date.parse(LAST_MODIFIED));
    assert.equal(r.layers.length, 1);
    assert.ok(await store.content.has(r.layers[0]!.digest));
    assert.equal(r.meta?.digest, sha256("hello\n"));
  });

  it("HttpSource.snapshot() applies http.perm, http.filename and uses the epoch without Last-Modified", async () => {
    server.files.set("/plain", { body: "x" });
    const store = newStore();
    const r = await source(store, `${server.base}/plain`, {
      "http.perm": "0755",
      "http.filename": "renamed.bin",
    }).snapshot(signal);
    const st = statSync(join(store.snapshots.dir(r.snapshotId!), "renamed.bin"));
    assert.equal(st.mode & 0o7777, 0o755);
    assert.equal(st.mtime.getTime(), 0);
  });

  it("HttpSource.cacheKey() asks with If-None-Match and does not download an unchanged URL twice", async () => {
    server.files.set("/cached.txt", { body: "one\n", etag: '"e1"', lastModified: LAST_MODIFIED });
    const store = newStore();
    const url = `${server.base}/cached.txt`;
    const before = server.bodies.length;
    const k1 = await source(store, url).cacheKey(signal);
    const k2 = await source(store, url).cacheKey(signal);
    assert.equal(k1, k2);
    assert.equal(server.bodies.length - before, 1, "one full download");
    assert.equal(server.requests.at(-1)!.headers["if-none-match"], '"e1"');
    // The second source can still make its snapshot from the stored blob.
    const again = source(store, url);
    await again.cacheKey(signal);
    const r = await again.snapshot(signal);
    assert.equal(
      readFileSync(join(store.snapshots.dir(r.snapshotId!), "cached.txt"), "utf8"),
      "one\n",
    );
    assert.equal(server.bodies.length - before, 1);
    // Changed content: a new key.
    server.files.set("/cached.txt", { body: "two\n", etag: '"e2"', lastModified: LAST_MODIFIED });
    const k3 = await source(store, url).cacheKey(signal);
    assert.notEqual(k3, k1);
  });

  it("HttpSource.cacheKey() uses If-Modified-Since when the server gives no ETag", async () => {
    server.files.set("/lm.txt", { body: "lm\n", lastModified: LAST_MODIFIED });
    const store = newStore();
    const url = `${server.base}/lm.txt`;
    const before = server.bodies.length;
    const k1 = await source(store, url).cacheKey(signal);
    const k2 = await source(store, url).cacheKey(signal);
    assert.equal(k1, k2);
    assert.equal(server.bodies.length - before, 1);
    assert.equal(server.requests.at(-1)!.headers["if-modified-since"], LAST_MODIFIED);
  });

  it("HttpSource.snapshot() names the file after Content-Disposition when no filename is given", async () => {
    server.files.set("/download?id=1".split("?")[0]!, {
      body: "cd\n",
      disposition: 'attachment; filename="report-1.csv"',
    });
    const store = newStore();
    const r = await source(store, `${server.base}/download?id=1`).snapshot(signal);
    assert.equal(
      readFileSync(join(store.snapshots.dir(r.snapshotId!), "report-1.csv"), "utf8"),
      "cd\n",
    );
  });

  it("HttpSource follows redirects", async () => {
    server.files.set("/target.txt", { body: "target\n" });
    server.files.set("/moved", { body: "", status: 301, location: "/target.txt" });
    const store = newStore();
    const r = await source(store, `${server.base}/moved`, { "http.filename": "t.txt" })
      .snapshot(signal);
    assert.equal(
      readFileSync(join(store.snapshots.dir(r.snapshotId!), "t.txt"), "utf8"),
      "target\n",
    );
  });

  it("HttpSource.cacheKey() fails on a 404 naming the URL, with credentials redacted", async () => {
    const store = newStore();
    const url = `${server.base.replace("http://", "http://user:s3cret@")}/missing.txt`;
    await assert.rejects(source(store, url).cacheKey(signal), (e: Error) => {
      assert.match(e.message, /invalid response status 404/);
      assert.ok(e.message.includes("/missing.txt"), e.message);
      assert.ok(!e.message.includes("s3cret"), e.message);
      assert.ok(e.message.includes("xxxxx"), e.message);
      return true;
    });
    // The credentials went as basic auth, not in the URL.
    const auth = server.requests.at(-1)!.headers.authorization;
    assert.equal(auth, "Basic " + btoa("user:s3cret"));
  });

  it("HttpSource with a pinned checksum keys without a request and verifies the download", async () => {
    server.files.set("/pinned.txt", { body: "pinned\n" });
    const store = newStore();
    const url = `${server.base}/pinned.txt`;
    const n = server.requests.length;
    const good = source(store, url, { "http.checksum": sha256("pinned\n") });
    await good.cacheKey(signal);
    assert.equal(server.requests.length, n, "no request for the key");
    const r = await good.snapshot(signal);
    assert.equal(
      readFileSync(join(store.snapshots.dir(r.snapshotId!), "pinned.txt"), "utf8"),
      "pinned\n",
    );
  });

  it("HttpSource.snapshot() rejects a checksum mismatch, naming both digests, keeping nothing", async () => {
    server.files.set("/bad.txt", { body: "actual content\n" });
    const store = newStore();
    const wrong = sha256("something else");
    const src = source(store, `${server.base}/bad.txt`, { "http.checksum": wrong });
    await src.cacheKey(signal);
    await assert.rejects(src.snapshot(signal), (e: Error) => {
      assert.ok(e.message.includes(wrong), e.message);
      assert.ok(e.message.includes(sha256("actual content\n")), e.message);
      assert.ok(e.message.includes("/bad.txt"), e.message);
      return true;
    });
    assert.equal(await store.content.has(sha256("actual content\n")), false);
  });

  it("parseHttpIdentifier() reads perm, uid, gid and supported headers", () => {
    const id = parseHttpIdentifier("https://h/x", {
      "http.perm": "0640",
      "http.uid": "1000",
      "http.gid": "0x10",
      "http.header.accept": "text/plain",
      "http.header.x-other": "dropped",
    });
    assert.equal(id.perm, 0o640);
    assert.equal(id.uid, 1000);
    assert.equal(id.gid, 16);
    assert.deepEqual(id.headers, [["Accept", "text/plain"]]);
    assert.throws(() => parseHttpIdentifier("https://h/x", { "http.checksum": "md5:abc" }));
  });

  it("httpFileName() follows BuildKit's order and safe names", () => {
    assert.equal(httpFileName("https://h/a/b.tgz"), "b.tgz");
    assert.equal(httpFileName("https://h/"), "download");
    assert.equal(httpFileName("https://h/a", { manual: "../x/y.txt" }), "y.txt");
    assert.equal(
      httpFileName("https://h/a", {
        contentDisposition: "attachment; filename*=UTF-8''na%C3%AFve.txt",
      }),
      "naïve.txt",
    );
    assert.equal(
      httpFileName("https://h/a", { contentDisposition: 'attachment; filename="dir/"' }),
      "a",
    );
    assert.equal(redactUrl("https://tok@h/x"), "https://xxxxx@h/x");
  });
});
