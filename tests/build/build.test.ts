// End-to-end builds, in-process: Dockerfile → solver → store → exporters, with every
// exported image checked by skopeo and umoci, the golden digest, and the cache rules.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chownSync, existsSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { DockerfileError } from "../../src/dockerfile/mod.ts";
import { OutputNotImplementedError, parseOutput } from "../../src/exporter/mod.ts";
import { importImage } from "../../src/worker/mod.ts";
import { makeBusyboxLayout } from "../_fixtures/busybox_image.ts";
import { build, listTree, newStore, tempDir, tool, umociTree, writeTree } from "./_helpers.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const GOLDEN = join(ROOT, "tests/testdata/build/golden");
const EPOCH = 1700000000;

describe("build: images, exports and the golden digest", () => {
  it("runBuild() exports the example as an OCI layout that skopeo and umoci accept", async () => {
    const store = newStore();
    const out = tempDir("bk-out-");
    const r = await build(join(ROOT, "examples/hello"), store, {
      tags: ["hello:1.0"],
      output: [`type=oci,dest=${out}/layout,tar=false`, `type=oci,dest=${out}/image.tar`],
    });
    const inspect = JSON.parse(tool("skopeo", ["inspect", `oci:${out}/layout:1.0`]));
    assert.equal(inspect.Digest, r.outcome.image.manifestDescriptor.digest);
    assert.equal(inspect.Labels["org.opencontainers.image.title"], "hello");
    assert.ok(inspect.Env.includes("GREETING=hello"));
    JSON.parse(tool("skopeo", ["inspect", `oci-archive:${out}/image.tar`]));
    assert.deepEqual(umociTree(`${out}/layout`, "1.0"), [
      "d 755 app",
      `f 755 app/run ${JSON.stringify('#!/bin/sh\necho "$GREETING"\n')}`,
      `f 644 app/run.sh ${JSON.stringify('#!/bin/sh\necho "$GREETING"\n')}`,
      "d 755 greeting",
      `f 644 greeting/hello.txt ${JSON.stringify("Hello from the build context.\n")}`,
      `f 644 greeting/motd ${JSON.stringify("hello from buildkit-ts\n")}`,
    ]);
    const config = r.outcome.image.config;
    assert.deepEqual(config.config?.Cmd, ["/app/run"]);
    assert.deepEqual(config.config?.ExposedPorts, { "8080/tcp": {} });
    assert.equal(config.config?.WorkingDir, "/app");
    assert.equal(config.rootfs.diff_ids?.length, r.outcome.image.manifest.layers.length);
  });

  it("runBuild() gives the checked-in digest for the golden Dockerfile, twice", async () => {
    const digests: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await build(GOLDEN, newStore(), {
        sourceDateEpoch: EPOCH,
        output: [`type=oci,dest=${tempDir("bk-golden-")}/g.tar,rewrite-timestamp=true`],
      });
      digests.push(r.outcome.image.manifestDescriptor.digest);
      assert.equal(r.outcome.image.config.created, "2023-11-14T22:13:20Z");
    }
    assert.equal(digests[0], digests[1], "two builds of the same inputs");
    const file = join(GOLDEN, "expected_digest.txt");
    if (process.env.UPDATE_GOLDEN) writeFileSync(file, digests[0] + "\n");
    assert.equal(
      digests[0],
      readFileSync(file, "utf8").trim(),
      "golden manifest digest (UPDATE_GOLDEN=1 rewrites it)",
    );
  });

  it("runBuild() writes a docker archive, a local tree and a tar of the rootfs", async () => {
    const ctx = writeTree(tempDir("bk-ctx-"), {
      "Dockerfile": "FROM scratch\nCOPY a.txt sub/ /out/\n",
      "a.txt": "A\n",
      "sub/b.txt": "B\n",
    });
    const out = tempDir("bk-out-");
    await build(ctx, newStore(), {
      tags: ["multi:out"],
      output: [
        `type=docker,dest=${out}/d.tar`,
        `type=local,dest=${out}/local`,
        `type=tar,dest=${out}/fs.tar`,
      ],
    });
    const inspect = JSON.parse(tool("skopeo", ["inspect", `docker-archive:${out}/d.tar`]));
    assert.equal(inspect.Layers.length, 1);
    const manifest = JSON.parse(tool("tar", ["-xOf", `${out}/d.tar`, "manifest.json"]));
    assert.deepEqual(manifest[0].RepoTags, ["multi:out"], "docker load tags it multi:out");
    assert.deepEqual(listTree(`${out}/local`), [
      "d 755 out",
      `f 644 out/a.txt ${JSON.stringify("A\n")}`,
      `f 644 out/b.txt ${JSON.stringify("B\n")}`,
    ]);
    const names = tool("tar", ["-tf", `${out}/fs.tar`]).split("\n").filter(Boolean).sort();
    assert.deepEqual(names, ["out/", "out/a.txt", "out/b.txt"]);
  });

  it("runBuild() tags the image store by default, which skopeo reads as an OCI layout", async () => {
    const store = newStore();
    const r = await build(join(ROOT, "examples/hello"), store, { tags: ["example/hello:v2"] });
    const tagged = await store.images.resolve("docker.io/example/hello:v2");
    assert.equal(tagged?.digest, r.outcome.image.manifestDescriptor.digest);
    const inspect = JSON.parse(
      tool("skopeo", ["inspect", `oci:${store.root}:docker.io/example/hello:v2`]),
    );
    assert.equal(inspect.Digest, r.outcome.image.manifestDescriptor.digest);
  });
});

describe("build: several platforms", () => {
  it("runBuild() builds one image per --platform under an index, and one local directory each", async () => {
    const ctx = writeTree(tempDir("bk-ctx-"), {
      Dockerfile:
        "FROM scratch\nARG TARGETPLATFORM\nCOPY <<EOF /platform\n${TARGETPLATFORM}\nEOF\n",
    });
    const out = tempDir("bk-out-");
    const r = await build(ctx, newStore(), {
      platforms: [{ os: "linux", architecture: "amd64" }, { os: "linux", architecture: "arm64" }],
      output: [`type=oci,dest=${out}/l,tar=false,name=multi:1`, `type=local,dest=${out}/files`],
    });
    assert.equal(r.outcome.images.length, 2);
    assert.equal(r.outcome.root.mediaType, "application/vnd.oci.image.index.v1+json");
    assert.equal(
      r.outcome.imageId,
      r.outcome.root.digest,
      "the image ID of several platforms is the index",
    );
    const index = JSON.parse(tool("skopeo", ["inspect", "--raw", `oci:${out}/l:1`]));
    assert.deepEqual(
      index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture),
      ["amd64", "arm64"],
    );
    assert.equal(readFileSync(join(out, "files/linux_amd64/platform"), "utf8"), "linux/amd64\n");
    assert.equal(readFileSync(join(out, "files/linux_arm64/platform"), "utf8"), "linux/arm64\n");
    for (const b of r.outcome.images) {
      assert.equal(b.config.architecture, b.manifestDescriptor.platform?.architecture);
    }
  });
});

describe("build: cache", () => {
  const dockerfile = "FROM scratch\nCOPY app.txt /app/\nCOPY conf/ /conf/\nCOPY app.txt /again/\n";
  const files = {
    Dockerfile: dockerfile,
    "app.txt": "v1\n",
    "conf/settings": "a=1\n",
    "notes.md": "not read by any COPY\n",
  };

  it("runBuild() reuses every vertex on a no-op rebuild and gives the same image", async () => {
    const store = newStore();
    const ctx = writeTree(tempDir("bk-ctx-"), files);
    const first = await build(ctx, store);
    assert.ok(first.ran.length >= 3);
    const again = await build(ctx, store);
    assert.deepEqual(again.ran, []);
    assert.ok([...again.outcome.outcomes.values()].every((o) => o.cached));
    assert.equal(
      again.outcome.image.manifestDescriptor.digest,
      first.outcome.image.manifestDescriptor.digest,
    );
  });

  it("runBuild() keeps a COPY cached when an unrelated file or only an mtime changes", async () => {
    const store = newStore();
    const ctx = writeTree(tempDir("bk-ctx-"), files);
    await build(ctx, store);
    writeFileSync(join(ctx, "notes.md"), "edited\n");
    const future = new Date(Date.now() + 3600_000);
    utimesSync(join(ctx, "app.txt"), future, future);
    const r = await build(ctx, store);
    assert.deepEqual(r.ran.filter((n) => n.includes("COPY")), []);
  });

  it("runBuild() re-runs the COPY that reads a changed file and only its dependants", async () => {
    const store = newStore();
    const ctx = writeTree(tempDir("bk-ctx-"), files);
    await build(ctx, store);
    writeFileSync(join(ctx, "conf/settings"), "a=2\n");
    const r = await build(ctx, store);
    const copies = r.ran.filter((n) => n.includes("COPY"));
    // conf/ changed: its COPY runs, and the COPY after it (its dependant); the first COPY stays cached.
    assert.deepEqual(copies.sort(), ["[2/3] COPY conf/ /conf/", "[3/3] COPY app.txt /again/"]);
    const miss = [...r.outcome.outcomes.values()].find((o) => o.cacheMiss?.kind === "content");
    assert.match(miss?.cacheMiss?.detail ?? "", /content changed: \/?conf/);
  });

  it("runBuild() re-runs only the stages named by --no-cache-filter", async () => {
    const store = newStore();
    const ctx = writeTree(tempDir("bk-ctx-"), {
      Dockerfile:
        "FROM scratch AS deps\nCOPY a /a\nFROM scratch AS app\nCOPY b /b\nFROM scratch\nCOPY --from=deps /a /a\nCOPY --from=app /b /b\n",
      a: "a",
      b: "b",
    });
    await build(ctx, store);
    const r = await build(ctx, store, { noCacheFilter: ["app"] });
    // The app stage runs again, and so does the step built on it; deps stays cached.
    assert.deepEqual(r.ran.filter((n) => n.includes("COPY")).sort(), [
      "[app 1/1] COPY b /b",
      "[stage-2 2/2] COPY --from=app /b /b",
    ]);
  });

  it("runBuild() honours --no-cache and .dockerignore", async () => {
    const store = newStore();
    const ctx = writeTree(tempDir("bk-ctx-"), {
      Dockerfile: "FROM scratch\nCOPY . /ctx/\n",
      "keep.txt": "k\n",
      "secret.env": "TOKEN=x\n",
    });
    const out = tempDir("bk-out-");
    await build(ctx, store, { excludePatterns: ["*.env"], output: [`type=local,dest=${out}/a`] });
    assert.deepEqual(listTree(`${out}/a`), [
      "d 755 ctx",
      `f 644 ctx/Dockerfile ${JSON.stringify("FROM scratch\nCOPY . /ctx/\n")}`,
      `f 644 ctx/keep.txt ${JSON.stringify("k\n")}`,
    ]);
    const r = await build(ctx, store, {
      noCache: true,
      output: [`type=local,dest=${out}/b`],
      excludePatterns: ["*.env"],
    });
    assert.ok(r.ran.some((n) => n.includes("COPY . /ctx/")), "--no-cache runs the COPY again");
  });
});

describe("build: base images and COPY semantics", () => {
  const busybox = async () => {
    const dir = join(tempDir("bk-busybox-"), "layout");
    await makeBusyboxLayout(dir);
    return dir;
  };

  it("runBuild() builds FROM an image in the store and resolves --chown names through its /etc/passwd", async () => {
    const layout = await busybox();
    const store = newStore();
    const img = await importImage({
      source: { kind: "oci-layout", dir: layout, ref: "busybox" },
      store,
    });
    await store.images.tag("docker.io/library/busybox:latest", {
      mediaType: img.manifestMediaType,
      digest: img.manifestDigest,
      size: img.manifestSize,
    });
    const ctx = writeTree(tempDir("bk-ctx-"), {
      Dockerfile:
        "FROM busybox\nCOPY --chown=app:app data.txt /home/app/\nCOPY --chmod=u=rwx,go=r data.txt /opt/d\n",
      "data.txt": "d\n",
    });
    const out = tempDir("bk-out-");
    const r = await build(ctx, store, { output: [`type=oci,dest=${out}/l,tar=false,name=t:1`] });
    const layers = r.outcome.image.manifest.layers;
    assert.equal(layers.length, img.layers.length + 2, "base layers kept, one per COPY");
    assert.deepEqual(r.outcome.image.config.config?.Cmd, ["sh"], "base config inherited");
    const bundle = join(tempDir("bk-umoci-"), "b");
    tool("umoci", ["unpack", "--image", `${out}/l:1`, bundle]);
    const st = spawnSync("stat", ["-c", "%u:%g %a", join(bundle, "rootfs/home/app/data.txt")], {
      encoding: "utf8",
    });
    if (process.getuid?.() === 0) assert.equal(st.stdout.trim(), "1000:1000 644");
    const mode = spawnSync("stat", ["-c", "%a", join(bundle, "rootfs/opt/d")], {
      encoding: "utf8",
    });
    assert.equal(mode.stdout.trim(), "744");
    assert.ok(existsSync(join(bundle, "rootfs/bin/busybox")));
  });

  it("runBuild() uses --build-context oci-layout:// as a stage base and COPY --from", async () => {
    const layout = await busybox();
    const ctx = writeTree(tempDir("bk-ctx-"), {
      Dockerfile:
        "FROM base AS b\nFROM scratch\nCOPY --from=b /etc/passwd /passwd\nCOPY --from=base /bin/busybox /bb\n",
    });
    const out = tempDir("bk-out-");
    await build(ctx, newStore(), {
      buildContexts: { base: `oci-layout://${layout}:busybox` },
      output: [`type=local,dest=${out}`],
    });
    assert.match(readFileSync(join(out, "passwd"), "utf8"), /^app:x:1000:1000:/m);
    assert.ok(readFileSync(join(out, "bb")).length > 100_000);
  });

  it("runBuild() gives files copied from the context to root and never touches the context", async () => {
    const ctx = writeTree(tempDir("bk-ctx-"), {
      Dockerfile: "FROM scratch\nCOPY owned.txt sub/ /x/\n",
      "owned.txt": "o",
      "sub/s": "s",
    });
    if (process.getuid?.() === 0) chownSync(join(ctx, "owned.txt"), 1234, 1234);
    const before = statSync(join(ctx, "owned.txt"));
    const out = tempDir("bk-out-");
    await build(ctx, newStore(), { output: [`type=oci,dest=${out}/l,tar=false,name=o:1`] });
    const bundle = join(tempDir("bk-umoci-"), "b");
    tool("umoci", ["unpack", "--image", `${out}/l:1`, bundle]);
    const st = statSync(join(bundle, "rootfs/x/owned.txt"));
    if (process.getuid?.() === 0) assert.equal(`${st.uid}:${st.gid}`, "0:0");
    const after = statSync(join(ctx, "owned.txt"));
    assert.equal(
      `${after.uid}:${after.gid}:${after.mode}:${after.mtimeMs}`,
      `${before.uid}:${before.gid}:${before.mode}:${before.mtimeMs}`,
    );
  });

  it("runBuild() builds only the --target stage and what it needs", async () => {
    const ctx = writeTree(tempDir("bk-ctx-"), {
      Dockerfile:
        "FROM scratch AS one\nCOPY a /a\nFROM scratch AS two\nCOPY b /b\nFROM scratch\nCOPY --from=one /a /x\n",
      a: "a",
      b: "b",
    });
    const r = await build(ctx, newStore(), { target: "two" });
    assert.deepEqual(r.ran.filter((n) => n.includes("COPY")), ["[two 1/1] COPY b /b"]);
  });

  it("runBuild() extracts a local tar.gz with ADD and keeps --parents paths", async () => {
    const ctx = writeTree(tempDir("bk-ctx-"), {
      "pkg/x/file.txt": "x\n",
      "src/a/deep/one.txt": "1\n",
      "src/b/two.txt": "2\n",
    });
    tool("tar", ["-czf", join(ctx, "pkg.tar.gz"), "-C", join(ctx, "pkg"), "x"]);
    writeFileSync(
      join(ctx, "Dockerfile"),
      "FROM scratch\nADD pkg.tar.gz /unpacked/\nCOPY --parents src/*/deep/*.txt /p/\n",
    );
    const out = tempDir("bk-out-");
    await build(ctx, newStore(), { output: [`type=local,dest=${out}`] });
    assert.equal(readFileSync(join(out, "unpacked/x/file.txt"), "utf8"), "x\n");
    assert.equal(readFileSync(join(out, "p/src/a/deep/one.txt"), "utf8"), "1\n");
    assert.ok(!existsSync(join(out, "p/src/b")));
  });
});

describe("build: errors", () => {
  it("runBuild() refuses RUN --network=host without --allow network.host, at its line", async () => {
    const ctx = writeTree(tempDir("bk-ctx-"), {
      Dockerfile: "FROM scratch\nCOPY a /\nRUN --network=host echo hi\n",
      a: "",
    });
    await assert.rejects(
      build(ctx, newStore()),
      (e: unknown) =>
        e instanceof DockerfileError &&
        /needs the network\.host entitlement: grant it with --allow network\.host/.test(
          e.message,
        ) &&
        e.range[0]?.start === 3,
    );
  });

  it("runBuild() refuses output options it would otherwise ignore", async () => {
    const ctx = writeTree(tempDir("bk-ctx-"), { Dockerfile: "FROM scratch\nCOPY a /a\n", a: "a" });
    const out = tempDir("bk-out-");
    for (
      const spec of [
        `type=oci,dest=${out}/x.tar,force-compression=true`,
        `type=local,dest=${out}/l,mode=delete`,
        `type=local,dest=${out}/p,platform-split=false`,
      ]
    ) {
      await assert.rejects(build(ctx, newStore(), { output: [spec] }), /not implemented yet/, spec);
    }
    assert.throws(
      () => parseOutput(`type=oci,dest=${out}/y.tar,push-by-digest=true`),
      OutputNotImplementedError,
    );
  });

  it("runBuild() reports a missing COPY source at its line and leaves the store usable", async () => {
    const store = newStore();
    const ctx = writeTree(tempDir("bk-ctx-"), {
      Dockerfile: "FROM scratch\nCOPY ok /\nCOPY missing.txt /\n",
      ok: "",
    });
    await assert.rejects(
      build(ctx, store),
      (e: unknown) =>
        e instanceof DockerfileError && /missing\.txt.*not found/.test(e.message) &&
        e.range[0]?.start === 3,
    );
    writeFileSync(join(ctx, "missing.txt"), "now here\n");
    const r = await build(ctx, store);
    assert.deepEqual(
      r.ran.filter((n) => n.includes("COPY")),
      ["[2/2] COPY missing.txt /"],
      "the first COPY was cached",
    );
  });

  it("runBuild() stops when cancelled and a later build still works", async () => {
    const store = newStore();
    const ctx = writeTree(tempDir("bk-ctx-"), { Dockerfile: "FROM scratch\nCOPY a /\n", a: "a" });
    const ctl = new AbortController();
    ctl.abort(new Error("cancelled by test"));
    await assert.rejects(build(ctx, store, {}).then(() => {}), () => true).catch(() => {});
    const { runBuild } = await import("../../src/build/mod.ts");
    await assert.rejects(
      runBuild(
        {
          dockerfile: {
            name: "Dockerfile",
            data: new TextEncoder().encode("FROM scratch\nCOPY a /b\n"),
          },
          contextDir: ctx,
        },
        {
          buildArgs: {},
          platforms: [],
          buildPlatform: { os: "linux", architecture: "amd64" },
          buildContexts: {},
          tags: [],
          outputs: [],
          noCache: false,
          noCacheFilter: [],
          labels: {},
          annotations: {},
          excludePatterns: [],
          concurrency: 1,
        },
        { store, progress: { write() {}, close() {} }, signal: ctl.signal, cwd: ctx },
      ),
      /cancelled by test/,
    );
    const r = await build(ctx, store, { dockerfile: "FROM scratch\nCOPY a /b\n" });
    assert.ok(r.outcome.image.manifest.layers.length === 1);
  });
});
