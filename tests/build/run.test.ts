// End-to-end builds with RUN steps in real containers (crun or runc) on the busybox
// fixture image: mounts, users, heredocs, failures, caching and parallel stages.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DockerfileError } from "../../src/dockerfile/mod.ts";
import type { BuildSettings } from "../../src/build/mod.ts";
import type { Store } from "../../src/store/mod.ts";
import { makeBusyboxLayout } from "../_fixtures/busybox_image.ts";
import { forwardSocket } from "../../src/worker/mod.ts";
import * as net from "node:net";
import { build, newStore, tempDir, tool, writeTree } from "./_helpers.ts";

let busybox = "";

type Options = Partial<BuildSettings> & { dockerfile?: string; output?: string[] };

function withBase(extra: Options = {}): Options {
  return {
    ...extra,
    buildContexts: { busybox: `oci-layout://${busybox}:busybox`, ...(extra.buildContexts ?? {}) },
  };
}

function layerNames(layout: string, digest: string): string[] {
  const r = spawnSync("tar", ["-tzf", join(layout, "blobs/sha256", digest.slice(7))], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split("\n").filter(Boolean);
}

/** Every file under a directory, read as bytes. */
function* allFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* allFiles(p);
    else if (e.isFile()) yield p;
  }
}

describe("build: RUN", () => {
  before(async () => {
    busybox = join(tempDir("bk-busybox-"), "layout");
    await makeBusyboxLayout(busybox);
  });

  it("runs a multi-stage build whose layers hold the changes, deletions as whiteouts", async () => {
    const ctx = writeTree(tempDir("bk-run-"), {
      Dockerfile: [
        "FROM busybox AS build",
        "RUN mkdir -p /out && echo built > /out/artifact && echo tmp > /tmp/scratch",
        "FROM busybox",
        "COPY --from=build /out/artifact /artifact",
        "RUN rm /bin/ls && echo done > /marker",
        "",
      ].join("\n"),
    });
    const out = tempDir("bk-run-out-");
    const r = await build(
      ctx,
      newStore(),
      withBase({ output: [`type=oci,dest=${out}/l,tar=false,name=m:1`] }),
    );
    JSON.parse(tool("skopeo", ["inspect", `oci:${out}/l:1`]));
    const layers = r.outcome.image.manifest.layers;
    const last = layerNames(`${out}/l`, layers[layers.length - 1]!.digest);
    assert.deepEqual(last.sort(), ["bin/", "bin/.wh.ls", "marker"]);
    const bundle = join(tempDir("bk-umoci-"), "b");
    tool("umoci", ["unpack", "--image", `${out}/l:1`, bundle]);
    assert.equal(readFileSync(join(bundle, "rootfs/artifact"), "utf8"), "built\n");
    assert.throws(() => statSync(join(bundle, "rootfs/bin/ls")), /ENOENT/);
    assert.throws(
      () => statSync(join(bundle, "rootfs/tmp/scratch")),
      /ENOENT/,
      "the build stage's files stay there",
    );
    assert.match(
      r.outcome.image.config.history?.at(-1)?.created_by ?? "",
      /^RUN \/bin\/sh -c rm \/bin\/ls && echo done > \/marker # buildkit$/,
    );
  });

  it("stacks a chain of RUN steps: deletions, opaque dirs and re-creations come out right", async () => {
    const ctx = writeTree(tempDir("bk-run-"), {
      Dockerfile: [
        "FROM busybox",
        "RUN mkdir -p /d/sub && echo 1 > /d/keep && echo 2 > /d/gone && echo 3 > /d/sub/x",
        "RUN rm /d/gone && echo new > /d/new",
        "RUN echo touched > /d/other",
        "RUN rm -rf /d/sub && mkdir /d/sub && echo only > /d/sub/only",
        "RUN echo more > /d/sub/more && rm /bin/ls",
        "RUN echo gone > /d/gone && ls -R /d > /listing",
        "",
      ].join("\n"),
    });
    const store = newStore();
    const out = tempDir("bk-run-out-");
    await build(
      ctx,
      store,
      withBase({
        output: [`type=oci,dest=${out}/l,tar=false,name=c:1`, `type=local,dest=${out}/fs`],
      }),
    );
    // The image (layers applied by umoci) and the last step's own view agree with what the steps did.
    const bundle = join(tempDir("bk-umoci-"), "b");
    tool("umoci", ["unpack", "--image", `${out}/l:1`, bundle]);
    for (const root of [join(bundle, "rootfs"), join(out, "fs")]) {
      assert.deepEqual(
        readdirSync(join(root, "d")).sort(),
        ["gone", "keep", "new", "other", "sub"],
        root,
      );
      assert.deepEqual(readdirSync(join(root, "d/sub")).sort(), ["more", "only"], root);
      assert.throws(() => statSync(join(root, "bin/ls")), /ENOENT/);
    }
    assert.equal(
      readFileSync(join(out, "fs/listing"), "utf8"),
      "/d:\ngone\nkeep\nnew\nother\nsub\n\n/d/sub:\nmore\nonly\n",
      "each step saw the tree the previous ones left",
    );
  });

  it("keeps a cache mount across builds and out of the layers", async () => {
    const store = newStore();
    const ctx = writeTree(tempDir("bk-run-"), {
      Dockerfile:
        "FROM busybox\nRUN --mount=type=cache,target=/var/cache/app echo x >> /var/cache/app/n && wc -l < /var/cache/app/n > /count\n",
    });
    const counts: string[] = [];
    for (const noCache of [false, true]) {
      const out = tempDir("bk-run-out-");
      await build(ctx, store, withBase({ noCache, output: [`type=local,dest=${out}`] }));
      counts.push(readFileSync(join(out, "count"), "utf8").trim());
      assert.throws(
        () => statSync(join(out, "var/cache/app/n")),
        /ENOENT/,
        "the cache is not in the image",
      );
    }
    assert.deepEqual(counts, ["1", "2"]);
  });

  it("gives a secret to its step only: no blob, snapshot, record or log in the store holds it", async () => {
    const store: Store = newStore();
    const value = "tok-" + Math.random().toString(36).slice(2) + "-secret";
    const hash = createHash("sha256").update(value).digest("hex");
    const ctx = writeTree(tempDir("bk-run-"), {
      Dockerfile: [
        "FROM busybox",
        `RUN --mount=type=secret,id=api,required=true sha256sum /run/secrets/api | grep -q ${hash} && echo ok > /checked`,
        `RUN --mount=type=secret,id=api,env=API_TOKEN echo -n "$API_TOKEN" | sha256sum | grep -q ${hash} && echo ok > /checked-env`,
        "",
      ].join("\n"),
    });
    const out = tempDir("bk-run-out-");
    await build(
      ctx,
      store,
      withBase({
        exec: { secrets: { api: new TextEncoder().encode(value) } },
        output: [`type=oci,dest=${out}/i.tar`, `type=local,dest=${out}/fs`],
      }),
    );
    assert.equal(readFileSync(join(out, "fs/checked"), "utf8"), "ok\n");
    assert.equal(readFileSync(join(out, "fs/checked-env"), "utf8"), "ok\n");
    const needle = new TextEncoder().encode(value);
    const leaks: string[] = [];
    let scanned = 0;
    for (const f of [...allFiles(store.root), `${out}/i.tar`]) {
      scanned++;
      if (Buffer.from(readFileSync(f)).includes(needle)) leaks.push(f);
    }
    assert.ok(scanned > 10, "the store holds blobs, records and logs to search");
    assert.deepEqual(leaks, []);
  });

  it("binds the context and a stage, gives tmpfs, resolves USER names, runs heredocs", async () => {
    const ctx = writeTree(tempDir("bk-run-"), {
      "data/in.txt": "from context\n",
      Dockerfile: [
        "FROM busybox AS tools",
        "RUN echo tool > /tool",
        "FROM busybox",
        "RUN --mount=type=bind,source=data,target=/mnt/data cp /mnt/data/in.txt /copied",
        "RUN --mount=type=bind,from=tools,source=/tool,target=/t cat /t > /tool-copy",
        "RUN --mount=type=tmpfs,target=/scratch echo temp > /scratch/x && test -f /scratch/x && mount | grep -q ' /scratch ' && echo ok > /tmpfs-ok",
        "USER app",
        "RUN id -u > /tmp/uid && id -g > /tmp/gid",
        "USER root",
        "RUN <<EOF",
        "echo first > /heredoc1",
        "echo second >> /heredoc1",
        "EOF",
        "RUN <<EOF",
        "#!/bin/sh",
        'echo "script $0" > /heredoc2',
        "EOF",
        "",
      ].join("\n"),
    });
    const out = tempDir("bk-run-out-");
    await build(ctx, newStore(), withBase({ output: [`type=local,dest=${out}`] }));
    assert.equal(readFileSync(join(out, "copied"), "utf8"), "from context\n");
    assert.equal(readFileSync(join(out, "tool-copy"), "utf8"), "tool\n");
    assert.equal(readFileSync(join(out, "tmpfs-ok"), "utf8"), "ok\n");
    assert.throws(() => statSync(join(out, "scratch/x")), /ENOENT/);
    assert.equal(readFileSync(join(out, "tmp/uid"), "utf8"), "1000\n");
    assert.equal(readFileSync(join(out, "tmp/gid"), "utf8"), "1000\n");
    assert.equal(readFileSync(join(out, "heredoc1"), "utf8"), "first\nsecond\n");
    assert.match(readFileSync(join(out, "heredoc2"), "utf8"), /^script \/dev\/pipes\//);
    assert.throws(() => statSync(join(out, "mnt/data")), /ENOENT/, "mount targets leave no trace");
  });

  it("fails a step with its exit code, last output lines and Dockerfile line", async () => {
    const ctx = writeTree(tempDir("bk-run-"), {
      Dockerfile: "FROM busybox\nRUN echo about to fail && echo to stderr >&2 && exit 3\n",
    });
    const store = newStore();
    await assert.rejects(build(ctx, store, withBase()), (e: unknown) => {
      assert.ok(e instanceof DockerfileError);
      assert.match(
        e.message,
        /process "\/bin\/sh -c echo about to fail && echo to stderr >&2 && exit 3" did not complete successfully: exit code: 3/,
      );
      assert.match(e.message, /about to fail/);
      assert.match(e.message, /to stderr/);
      assert.equal(e.range[0]?.start, 2);
      return true;
    });
    // The whole log of the step stays in the store.
    const logs = readdirSync(join(store.root, "logs")).map((f) =>
      readFileSync(join(store.root, "logs", f), "utf8")
    );
    assert.ok(logs.some((l) => l.includes("about to fail") && l.includes("to stderr")));
  });

  it("reuses every RUN on a rebuild and re-runs exactly the steps an ARG change affects", async () => {
    const store = newStore();
    const ctx = writeTree(tempDir("bk-run-"), {
      Dockerfile: [
        "FROM busybox",
        "RUN echo base > /base",
        "ARG VERSION=1",
        "RUN echo $VERSION > /version",
        "RUN echo after > /after",
        "",
      ].join("\n"),
    });
    const first = await build(ctx, store, withBase({ buildArgs: { VERSION: "1" } }));
    assert.equal(first.ran.filter((n) => n.includes("RUN")).length, 3);
    const again = await build(ctx, store, withBase({ buildArgs: { VERSION: "1" } }));
    assert.deepEqual(again.ran, []);
    const changed = await build(ctx, store, withBase({ buildArgs: { VERSION: "2" } }));
    assert.deepEqual(changed.ran.filter((n) => n.includes("RUN")), [
      // As BuildKit: a FROM served by a named context counts in the total but shows no
      // step of its own, and the shown command is expanded.
      "[2/4] RUN echo 2 > /version",
      "[3/4] RUN echo after > /after",
    ]);
    assert.match(
      changed.outcome.image.config.history?.find((h) => h.created_by?.includes("/version"))
        ?.created_by ?? "",
      /^RUN \|1 VERSION=2 /,
    );
  });

  it("runs the RUN steps of independent stages at the same time", async () => {
    const ctx = writeTree(tempDir("bk-run-"), {
      Dockerfile: [
        "FROM busybox AS a",
        "RUN sleep 1 && echo a > /a",
        "FROM busybox AS b",
        "RUN sleep 1 && echo b > /b",
        "FROM busybox",
        "COPY --from=a /a /a",
        "COPY --from=b /b /b",
        "",
      ].join("\n"),
    });
    const r = await build(ctx, newStore(), withBase({ concurrency: 2 }));
    const names = new Map<string, string>();
    const span = new Map<string, [number, number]>();
    for (const e of r.events) {
      if (e.type === "vertex.started") {
        names.set(e.digest, e.name);
        span.set(e.digest, [e.time, Infinity]);
      }
      if (e.type === "vertex.completed") span.get(e.digest)![1] = e.time;
    }
    const runs = [...span.entries()].filter(([d]) => names.get(d)?.includes("RUN sleep")).map((
      [, s],
    ) => s);
    assert.equal(runs.length, 2);
    const [x, y] = runs as [[number, number], [number, number]];
    assert.ok(x[0] < y[1] && y[0] < x[1], "the two sleeps overlapped in time");
  });

  it("runs on a root filesystem without /etc and leaves no mount stubs behind", async () => {
    const ctx = writeTree(tempDir("bk-run-"), {
      Dockerfile: "FROM scratch\nCOPY --from=busybox /bin/busybox /bin/sh\nRUN echo hi > /x\n",
    });
    const out = tempDir("bk-run-out-");
    await build(ctx, newStore(), withBase({ output: [`type=local,dest=${out}`] }));
    assert.deepEqual(readdirSync(out).sort(), ["bin", "x"]);
  });

  it("forwards an SSH agent socket with the owner and mode the mount asks for, leaving the host's alone", async () => {
    const dir = tempDir("bk-ssh-");
    const agent = join(dir, "agent.sock");
    const server = net.createServer((c) => c.on("data", () => c.end("pong\n")));
    await new Promise<void>((r) => server.listen(agent, r));
    const before = statSync(agent).mode;
    try {
      const ctx = writeTree(tempDir("bk-run-"), {
        Dockerfile:
          'FROM busybox\nRUN --mount=type=ssh,mode=741,uid=100,gid=102 stat -c "%u %g %a %F" $SSH_AUTH_SOCK > /sock\n',
      });
      const out = tempDir("bk-run-out-");
      await build(
        ctx,
        newStore(),
        withBase({ exec: { ssh: { default: agent } }, output: [`type=local,dest=${out}`] }),
      );
      assert.equal(readFileSync(join(out, "sock"), "utf8"), "100 102 741 socket\n");
      assert.equal(statSync(agent).mode, before, "the host's agent socket is untouched");
      // The forwarder itself carries bytes both ways.
      const close = await forwardSocket(join(dir, "proxy.sock"), agent);
      const reply = await new Promise<string>((resolve, reject) => {
        const c = net.createConnection(join(dir, "proxy.sock"), () => c.write("ping"));
        let got = "";
        c.on("data", (d) => (got += d.toString()));
        c.on("end", () => resolve(got));
        c.on("error", reject);
      });
      close();
      assert.equal(reply, "pong\n");
    } finally {
      server.close();
    }
  });

  it("filters sandboxed steps with seccomp (unshare refused) and runs --security=insecure unfiltered", async () => {
    const ctx = writeTree(tempDir("bk-run-"), {
      Dockerfile: [
        "FROM busybox",
        "RUN grep Seccomp: /proc/self/status > /sandboxed; unshare -U true 2>/dev/null; echo $? > /unshare-rc",
        "RUN --security=insecure grep Seccomp: /proc/self/status > /insecure",
        "",
      ].join("\n"),
    });
    const out = tempDir("bk-run-out-");
    await build(
      ctx,
      newStore(),
      withBase({
        exec: { entitlements: ["security.insecure"] },
        output: [`type=local,dest=${out}`],
      }),
    );
    assert.match(readFileSync(join(out, "sandboxed"), "utf8"), /^Seccomp:\s+2$/m);
    assert.equal(readFileSync(join(out, "unshare-rc"), "utf8"), "1\n");
    assert.match(readFileSync(join(out, "insecure"), "utf8"), /^Seccomp:\s+0$/m);
  });

  it("gives RUN --network=none only the loopback interface", async () => {
    const ctx = writeTree(tempDir("bk-run-"), {
      Dockerfile: "FROM busybox\nRUN --network=none ls /sys/class/net > /ifaces\n",
    });
    const out = tempDir("bk-run-out-");
    await build(ctx, newStore(), withBase({ output: [`type=local,dest=${out}`] }));
    assert.equal(readFileSync(join(out, "ifaces"), "utf8"), "lo\n");
  });
});
