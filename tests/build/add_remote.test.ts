// ADD of remote sources in whole builds: a file over HTTP (with and without --checksum) and
// Git repositories served by `git daemon` and by plain (dumb) HTTP, all on 127.0.0.1, with
// the cache rules: an unchanged URL or ref is fully cached, a change re-runs the ADD.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { join, normalize } from "node:path";
import { build, newStore, tempDir, writeTree } from "./_helpers.ts";
import { git, GitDaemonRepo } from "../_fixtures/git_daemon.ts";

function sha256(s: string): string {
  return "sha256:" + createHash("sha256").update(s).digest("hex");
}

/**
 * Serves `files` (path → body, with an ETag of the body's hash) and, under `/git/`, the
 * files of `gitRoot` (a bare repository after `git update-server-info`: git's dumb HTTP).
 */
class HttpFixture {
  readonly files = new Map<string, string>();
  gitRoot = "";
  base = "";
  #server: Server | undefined;

  async start(): Promise<void> {
    this.#server = createHttpServer((req, res) => {
      const p = (req.url ?? "/").split("?")[0]!;
      if (p.startsWith("/git/") && this.gitRoot !== "") {
        const file = normalize(join(this.gitRoot, p.slice(5)));
        if (file.startsWith(this.gitRoot) && existsSync(file) && statSync(file).isFile()) {
          res.writeHead(200);
          res.end(readFileSync(file));
          return;
        }
      }
      const body = this.files.get(p);
      if (body === undefined) {
        res.writeHead(404);
        res.end("not found");
        return;
      }
      const etag = `"${sha256(body).slice(7, 23)}"`;
      if (req.headers["if-none-match"]?.split(/\s*,\s*/).includes(etag)) {
        res.writeHead(304, { ETag: etag });
        res.end();
        return;
      }
      res.writeHead(200, { ETag: etag, "Last-Modified": "Tue, 14 Nov 2023 22:13:20 GMT" });
      res.end(body);
    });
    await new Promise<void>((r) => this.#server!.listen(0, "127.0.0.1", () => r()));
    const a = this.#server.address();
    this.base = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => {
      const s = this.#server as Server & { closeAllConnections?: () => void };
      s.closeAllConnections?.();
      s.close(() => r());
    });
  }
}

function read(dir: string, p: string): string {
  return readFileSync(join(dir, p), "utf8");
}

describe("build: ADD of http and git sources", () => {
  const http = new HttpFixture();
  const repo = new GitDaemonRepo("bk-addgit-");
  before(async () => {
    await http.start();
    await repo.start();
    http.gitRoot = repo.served;
    repo.commit({ "README.md": "v1\n", "sub/inner.txt": "inner v1\n" }, "first");
    git(repo.work, "tag", "v1");
    git(repo.work, "push", "-q", "--tags", repo.bare);
    git(repo.bare, "update-server-info");
  });
  after(async () => {
    repo.stop();
    await http.stop();
  });

  it("ADD https://… downloads the file (0600), a rebuild is cached and a change re-runs it", async () => {
    http.files.set("/files/hello.txt", "hello v1\n");
    const ctx = writeTree(tempDir("bk-ctx-"), {
      "Dockerfile": `FROM scratch\nADD ${http.base}/files/hello.txt /dl/\n`,
    });
    const store = newStore();
    const out1 = tempDir("bk-out-");
    const r1 = await build(ctx, store, { output: [`type=local,dest=${out1}`] });
    assert.equal(read(out1, "dl/hello.txt"), "hello v1\n");
    assert.equal(statSync(join(out1, "dl/hello.txt")).mode & 0o777, 0o600);
    assert.ok(r1.ran.some((n) => n.includes("ADD")), r1.ran.join(", "));

    const r2 = await build(ctx, store, { output: [`type=local,dest=${tempDir("bk-out-")}`] });
    assert.deepEqual(r2.ran, [], "an unchanged URL keeps the build cached");

    http.files.set("/files/hello.txt", "hello v2\n");
    const out3 = tempDir("bk-out-");
    const r3 = await build(ctx, store, { output: [`type=local,dest=${out3}`] });
    assert.equal(read(out3, "dl/hello.txt"), "hello v2\n");
    assert.ok(r3.ran.some((n) => n.includes("ADD")), r3.ran.join(", "));
  });

  it("ADD --checksum verifies the download and fails naming both digests", async () => {
    http.files.set("/files/pinned.txt", "pinned\n");
    const good = writeTree(tempDir("bk-ctx-"), {
      "Dockerfile": `FROM scratch\nADD --checksum=${
        sha256("pinned\n")
      } ${http.base}/files/pinned.txt /p.txt\n`,
    });
    const out = tempDir("bk-out-");
    await build(good, newStore(), { output: [`type=local,dest=${out}`] });
    assert.equal(read(out, "p.txt"), "pinned\n");

    const wrong = sha256("other");
    const bad = writeTree(tempDir("bk-ctx-"), {
      "Dockerfile": `FROM scratch\nADD --checksum=${wrong} ${http.base}/files/pinned.txt /p.txt\n`,
    });
    await assert.rejects(
      build(bad, newStore(), { output: [`type=local,dest=${tempDir("bk-out-")}`] }),
      (e: Error) => {
        assert.ok(e.message.includes(wrong), e.message);
        assert.ok(e.message.includes(sha256("pinned\n")), e.message);
        return true;
      },
    );
  });

  it("ADD of a missing URL fails with the status and the URL", async () => {
    const ctx = writeTree(tempDir("bk-ctx-"), {
      "Dockerfile": `FROM scratch\nADD ${http.base}/files/missing.bin /m\n`,
    });
    await assert.rejects(
      build(ctx, newStore(), { output: [`type=local,dest=${tempDir("bk-out-")}`] }),
      /missing\.bin.*invalid response status 404|invalid response status 404.*missing\.bin/s,
    );
  });

  it("ADD git://…#tag, #branch:subdir and --keep-git-dir give the checked-out trees", async () => {
    const ctx = writeTree(tempDir("bk-ctx-"), {
      "Dockerfile": [
        "FROM scratch",
        `ADD ${repo.url}#v1 /src`,
        `ADD ${repo.url}#main:sub /sub`,
        `ADD --keep-git-dir=true ${repo.url}#main /kept`,
        "",
      ].join("\n"),
    });
    const out = tempDir("bk-out-");
    await build(ctx, newStore(), { output: [`type=local,dest=${out}`] });
    assert.equal(read(out, "src/README.md"), "v1\n");
    assert.equal(read(out, "src/sub/inner.txt"), "inner v1\n");
    assert.equal(existsSync(join(out, "src/.git")), false);
    assert.equal(read(out, "sub/inner.txt"), "inner v1\n");
    assert.equal(existsSync(join(out, "sub/README.md")), false);
    assert.ok(existsSync(join(out, "kept/.git")));
    assert.equal(git(join(out, "kept"), "rev-parse", "HEAD"), git(repo.work, "rev-parse", "main"));
  });

  it("ADD of a git branch is cached while the branch stays and re-runs after a new commit", async () => {
    const ctx = writeTree(tempDir("bk-ctx-"), {
      "Dockerfile": `FROM scratch\nADD ${repo.url}#main /src\n`,
    });
    const store = newStore();
    await build(ctx, store, { output: [`type=local,dest=${tempDir("bk-out-")}`] });
    const again = await build(ctx, store, { output: [`type=local,dest=${tempDir("bk-out-")}`] });
    assert.deepEqual(again.ran, [], "an unchanged branch keeps the build cached");

    repo.commit({ "README.md": "v2\n" }, "second");
    const out = tempDir("bk-out-");
    const r = await build(ctx, store, { output: [`type=local,dest=${out}`] });
    assert.equal(read(out, "src/README.md"), "v2\n");
    assert.ok(r.ran.some((n) => n.includes("ADD")), r.ran.join(", "));
  });

  it("ADD http://…/repo.git#ref fetches over git's dumb HTTP (no shallow support)", async () => {
    const ctx = writeTree(tempDir("bk-ctx-"), {
      "Dockerfile": `FROM scratch\nADD ${http.base}/git/repo.git#v1 /src\n`,
    });
    const out = tempDir("bk-out-");
    await build(ctx, newStore(), { output: [`type=local,dest=${out}`] });
    assert.equal(read(out, "src/README.md"), "v1\n");
  });
});
