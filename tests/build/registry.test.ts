// Builds against a real registry (Debian's docker-registry on 127.0.0.1): --push, FROM
// pulled from the registry on a fresh store, login/logout with htpasswd, --load.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as http from "node:http";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { main } from "../../src/cli/main.ts";
import { createRuntime } from "../../src/runtime/mod.ts";
import { makeBusyboxLayout } from "../_fixtures/busybox_image.ts";
import { registryUnavailable, startRegistry, type TestRegistry } from "../registry/_registry.ts";

async function run(
  args: string[],
  env: Record<string, string> = {},
  stdin = "",
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const base = createRuntime();
  const rt = {
    ...base,
    env: (k: string) => (k in env ? env[k] : base.env(k)),
    readStdin: () => Promise.resolve(new TextEncoder().encode(stdin)),
    writeStdout: (t: string) => void (out += t),
    writeStderr: (t: string) => void (err += t),
  };
  return { code: await main(args, rt), out, err };
}

function skopeo(args: string[]) {
  const r = spawnSync("skopeo", args, { encoding: "utf8" });
  assert.ok(!r.error, "skopeo is needed by this test (apt-get install skopeo)");
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const unavailable = registryUnavailable();

describe("build: registries", { skip: unavailable ?? false }, () => {
  let reg: TestRegistry;
  let dir: string;
  before(async () => {
    reg = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "bk-reg-"));
    await makeBusyboxLayout(join(dir, "busybox"));
  });
  after(async () => {
    await reg?.stop();
  });

  it("--push publishes the image, and a fresh store pulls it back as a base image", async () => {
    const ctx = mkdtempSync(join(dir, "ctx-"));
    writeFileSync(join(ctx, "Dockerfile"), "FROM busybox\nRUN echo pushed > /pushed\n");
    const ref = `${reg.host}/test/app:1`;
    const push = await run([
      "build",
      "--cache-dir",
      join(dir, "store-a"),
      "--progress=quiet",
      "--build-context",
      `busybox=oci-layout://${join(dir, "busybox")}:busybox`,
      "--metadata-file",
      join(dir, "meta.json"),
      "-t",
      ref,
      "--push",
      ctx,
    ]);
    assert.equal(push.code, 0, push.err);
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));
    const inspect = skopeo(["inspect", "--tls-verify=false", `docker://${ref}`]);
    assert.equal(inspect.Digest, meta["containerimage.digest"]);

    // A machine with an empty store: FROM the pushed image pulls it.
    const ctx2 = mkdtempSync(join(dir, "ctx-"));
    writeFileSync(join(ctx2, "Dockerfile"), `FROM ${ref}\nRUN cat /pushed > /seen\n`);
    const out = join(dir, "out2");
    const pull = await run([
      "build",
      "--cache-dir",
      join(dir, "store-b"),
      "--progress=quiet",
      "-o",
      `type=local,dest=${out}`,
      ctx2,
    ]);
    assert.equal(pull.code, 0, pull.err);
    assert.equal(readFileSync(join(out, "seen"), "utf8"), "pushed\n");
    const images = await run(["images", "--cache-dir", join(dir, "store-b")]);
    assert.match(images.out, new RegExp(`${reg.host.replace(/\./g, "\\.")}/test/app +1 `));
  });

  for (const kind of ["registry", "local"] as const) {
    it(`--cache-to/--cache-from type=${kind}: a fresh store builds with every step cached, downloading only the final image's layers`, async () => {
      const ctx = mkdtempSync(join(dir, "ctx-"));
      writeFileSync(
        join(ctx, "Dockerfile"),
        "FROM busybox AS builder\nRUN echo compiled > /artifact && head -c 300000 /dev/urandom > /junk\n" +
          "FROM busybox\nCOPY --from=builder /artifact /artifact\nRUN echo final > /final\n",
      );
      const cacheRef = kind === "registry"
        ? `type=registry,ref=${reg.host}/cache/app:main,mode=max`
        : `type=local,dest=${join(dir, "cache-dir")},mode=max`;
      const from = kind === "registry"
        ? `type=registry,ref=${reg.host}/cache/app:main`
        : `type=local,src=${join(dir, "cache-dir")}`;
      const common = [
        "--progress=rawjson",
        "--build-context",
        `busybox=oci-layout://${join(dir, "busybox")}:busybox`,
      ];
      const a = await run([
        "build",
        "--cache-dir",
        join(dir, `cache-a-${kind}`),
        ...common,
        "--cache-to",
        cacheRef,
        "--metadata-file",
        join(dir, `ma-${kind}.json`),
        "-o",
        `type=oci,dest=${join(dir, `a-${kind}.tar`)}`,
        ctx,
      ]);
      assert.equal(a.code, 0, a.err);
      const b = await run([
        "build",
        "--cache-dir",
        join(dir, `cache-b-${kind}`),
        ...common,
        "--cache-from",
        from,
        "--metadata-file",
        join(dir, `mb-${kind}.json`),
        "-o",
        `type=oci,dest=${join(dir, `b-${kind}.tar`)}`,
        ctx,
      ]);
      assert.equal(b.code, 0, b.err);
      const vertices = b.err.split("\n").filter((l) => l.startsWith("{")).flatMap((l) =>
        JSON.parse(l).vertexes ?? []
      )
        .filter((v: { name: string; completed?: string }) =>
          v.completed && /RUN|COPY/.test(v.name)
        );
      assert.ok(vertices.length >= 3);
      for (const v of vertices) assert.equal(v.cached, true, `${v.name} cached`);
      const ma = JSON.parse(readFileSync(join(dir, `ma-${kind}.json`), "utf8"));
      const mb = JSON.parse(readFileSync(join(dir, `mb-${kind}.json`), "utf8"));
      assert.equal(mb["containerimage.digest"], ma["containerimage.digest"], "same image digest");
      // The builder stage's layer (with 300 kB of junk) was never downloaded into store B.
      const blobs = (s: string) => new Set(readdirSync(join(dir, s, "blobs/sha256")));
      const onlyA = [...blobs(`cache-a-${kind}`)].filter((d) => !blobs(`cache-b-${kind}`).has(d));
      const sizes = onlyA.map((d) =>
        statSync(join(dir, `cache-a-${kind}`, "blobs/sha256", d)).size
      );
      assert.ok(sizes.some((n) => n > 250_000), "the big intermediate layer stayed remote");
    });
  }

  it("--cache-to type=inline embeds the cache in the pushed image; --cache-from that image reuses it", async () => {
    const ctx = mkdtempSync(join(dir, "ctx-"));
    writeFileSync(
      join(ctx, "Dockerfile"),
      "FROM busybox\nRUN echo inline > /inline\nCOPY Dockerfile /df\n",
    );
    const ref = `${reg.host}/inline/app:1`;
    const common = [
      "--progress=rawjson",
      "--build-context",
      `busybox=oci-layout://${join(dir, "busybox")}:busybox`,
    ];
    const a = await run([
      "build",
      "--cache-dir",
      join(dir, "inline-a"),
      ...common,
      "--cache-to",
      "type=inline",
      "-t",
      ref,
      "--push",
      ctx,
    ]);
    assert.equal(a.code, 0, a.err);
    const config = skopeo([
      "inspect",
      "--config",
      "--raw",
      "--tls-verify=false",
      `docker://${ref}`,
    ]);
    assert.ok(
      typeof config["moby.buildkit.cache.v0"] === "string",
      "the config carries the inline cache",
    );
    const b = await run([
      "build",
      "--cache-dir",
      join(dir, "inline-b"),
      ...common,
      "--cache-from",
      `type=registry,ref=${ref}`,
      ctx,
    ]);
    assert.equal(b.code, 0, b.err);
    const steps = b.err.split("\n").filter((l) => l.startsWith("{")).flatMap((l) =>
      JSON.parse(l).vertexes ?? []
    )
      .filter((v: { name: string; completed?: string }) => v.completed && /RUN|COPY/.test(v.name));
    assert.equal(steps.length, 2);
    for (const v of steps) assert.equal(v.cached, true, `${v.name} cached`);
  });

  it("--push of several platforms publishes an index with one manifest per platform", async () => {
    const ctx = mkdtempSync(join(dir, "ctx-"));
    writeFileSync(
      join(ctx, "Dockerfile"),
      "FROM scratch\nARG TARGETARCH\nCOPY <<EOF /arch\n${TARGETARCH}\nEOF\n",
    );
    const ref = `${reg.host}/multi/app:1`;
    const r = await run([
      "build",
      "--cache-dir",
      join(dir, "store-multi"),
      "--progress=quiet",
      "--platform",
      "linux/amd64,linux/arm64",
      "-t",
      ref,
      "--push",
      ctx,
    ]);
    assert.equal(r.code, 0, r.err);
    const raw = skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${ref}`]);
    assert.equal(raw.mediaType, "application/vnd.oci.image.index.v1+json");
    assert.deepEqual(
      raw.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture)
        .sort(),
      ["amd64", "arm64"],
    );
    const arm = skopeo([
      "inspect",
      "--override-arch",
      "arm64",
      "--tls-verify=false",
      `docker://${ref}`,
    ]);
    assert.equal(arm.Architecture, "arm64");
  });

  it("a missing image names the registry error and exits non-zero", async () => {
    const ctx = mkdtempSync(join(dir, "ctx-"));
    writeFileSync(join(ctx, "Dockerfile"), `FROM ${reg.host}/test/missing:1\n`);
    const r = await run(["build", "--cache-dir", join(dir, "store-c"), "--progress=quiet", ctx]);
    assert.equal(r.code, 1);
    assert.match(r.err, /missing/);
    assert.match(r.err, /Dockerfile:1/);
  });

  it("--load sends a docker archive to the daemon socket, and says so clearly when there is none", async () => {
    const ctx = mkdtempSync(join(dir, "ctx-"));
    writeFileSync(join(ctx, "Dockerfile"), "FROM scratch\nCOPY Dockerfile /\n");
    const none = await run(
      [
        "build",
        "--cache-dir",
        join(dir, "store-d"),
        "--progress=quiet",
        "-t",
        "l:1",
        "--load",
        ctx,
      ],
      { DOCKER_HOST: `unix://${join(dir, "no-such.sock")}` },
    );
    assert.equal(none.code, 1);
    assert.match(none.err, /--load needs a running Docker daemon, but there is no socket at/);
    // A fake daemon that checks what it receives.
    const sock = join(dir, "docker.sock");
    let received = 0;
    let path = "";
    const server = http.createServer((req, res) => {
      path = req.url ?? "";
      req.on("data", (c: Uint8Array) => (received += c.length));
      req.on("end", () => res.end('{"stream":"Loaded image: l:1\\n"}'));
    });
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      const ok = await run(
        [
          "build",
          "--cache-dir",
          join(dir, "store-d"),
          "--progress=quiet",
          "-t",
          "l:1",
          "--load",
          ctx,
        ],
        { DOCKER_HOST: `unix://${sock}` },
      );
      assert.equal(ok.code, 0, ok.err);
      assert.equal(path, "/images/load?quiet=1");
      assert.ok(received > 1024, "a tar was sent");
    } finally {
      server.close();
    }
  });

  it("login checks credentials against an htpasswd registry and writes docker's config.json; logout removes them", async () => {
    const secured = await startRegistry({ auth: "htpasswd" });
    const home = mkdtempSync(join(tmpdir(), "bk-home-"));
    const saved = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = join(home, ".docker");
    try {
      const bad = await run(
        ["login", "-u", secured.user, "--password-stdin", secured.host],
        {},
        "wrong\n",
      );
      assert.equal(bad.code, 1);
      assert.match(bad.err, /unauthorized/);
      const good = await run(
        ["login", "-u", secured.user, "--password-stdin", secured.host],
        {},
        `${secured.pass}\n`,
      );
      assert.equal(good.code, 0, good.err);
      const config = JSON.parse(readFileSync(join(home, ".docker/config.json"), "utf8"));
      assert.equal(atob(config.auths[secured.host].auth), `${secured.user}:${secured.pass}`);
      assert.doesNotMatch(
        good.out + good.err,
        new RegExp(secured.pass),
        "the password is never printed",
      );
      // The saved credentials are used to push.
      const ctx = mkdtempSync(join(dir, "ctx-"));
      writeFileSync(join(ctx, "Dockerfile"), "FROM scratch\nCOPY Dockerfile /\n");
      const push = await run([
        "build",
        "--cache-dir",
        join(dir, "store-e"),
        "--progress=quiet",
        "-t",
        `${secured.host}/priv/app:1`,
        "--push",
        ctx,
      ]);
      assert.equal(push.code, 0, push.err);
      const out = await run(["logout", secured.host]);
      assert.match(out.out, /Removing login credentials/);
      const after = JSON.parse(readFileSync(join(home, ".docker/config.json"), "utf8"));
      assert.equal(after.auths?.[secured.host], undefined);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = saved;
      await secured.stop();
    }
  });
});
