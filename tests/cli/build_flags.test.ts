// The build flags that change outputs: --iidfile, --metadata-file, --label, --annotation,
// -o compression=zstd, COPY --exclude, SOURCE_DATE_EPOCH as a build arg.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { main } from "../../src/cli/main.ts";
import { createRuntime } from "../../src/runtime/mod.ts";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const rt = {
    ...createRuntime(),
    writeStdout: (t: string) => void (out += t),
    writeStderr: (t: string) => void (err += t),
  };
  return { code: await main(args, rt), out, err };
}

function context(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "bk-flags-"));
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

function skopeo(args: string[]) {
  const r = spawnSync("skopeo", args, { encoding: "utf8" });
  assert.ok(!r.error, "skopeo is needed by this test (apt-get install skopeo)");
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe("build flags", () => {
  it("--iidfile and --metadata-file record the image like buildx", async () => {
    const ctx = context({ Dockerfile: "FROM scratch\nCOPY a /a\n", a: "a" });
    const out = mkdtempSync(join(tmpdir(), "bk-flags-out-"));
    const r = await run([
      "build",
      "--cache-dir",
      join(out, "store"),
      "--progress=quiet",
      "-t",
      "meta:1",
      "--iidfile",
      join(out, "iid"),
      "--metadata-file",
      join(out, "meta.json"),
      "-o",
      `type=oci,dest=${join(out, "i.tar")}`,
      ctx,
    ]);
    assert.equal(r.code, 0, r.err);
    const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8"));
    const inspect = skopeo(["inspect", `oci-archive:${join(out, "i.tar")}`]);
    assert.equal(meta["containerimage.digest"], inspect.Digest);
    assert.match(meta["containerimage.config.digest"], /^sha256:[0-9a-f]{64}$/);
    assert.equal(meta["image.name"], "docker.io/library/meta:1");
    assert.equal(
      readFileSync(join(out, "iid"), "utf8").trim(),
      meta["containerimage.config.digest"],
    );
  });

  it("--label, --annotation, zstd layers and COPY --exclude reach the image", async () => {
    const ctx = context({
      Dockerfile: "FROM scratch\nCOPY --exclude=*.log logs/ /logs/\n",
      "logs/keep.txt": "k",
      "logs/drop.log": "d",
    });
    const out = mkdtempSync(join(tmpdir(), "bk-flags-out-"));
    const r = await run([
      "build",
      "--cache-dir",
      join(out, "store"),
      "--progress=quiet",
      "--label",
      "team=builders",
      "--annotation",
      "org.example.note=hi",
      "-o",
      `type=oci,dest=${join(out, "l")},tar=false,compression=zstd,name=z:1`,
      ctx,
    ]);
    assert.equal(r.code, 0, r.err);
    const raw = skopeo(["inspect", "--raw", `oci:${join(out, "l")}:1`]);
    assert.equal(raw.annotations["org.example.note"], "hi");
    assert.equal(raw.layers[0].mediaType, "application/vnd.oci.image.layer.v1.tar+zstd");
    const config = skopeo(["inspect", "--config", `oci:${join(out, "l")}:1`]);
    assert.equal(config.config.Labels.team, "builders");
    // Debian's umoci (0.4.7) cannot read zstd layers: decompress the blob ourselves and list it.
    const blob = readFileSync(join(out, "l/blobs/sha256", raw.layers[0].digest.slice(7)));
    writeFileSync(join(out, "layer.tar"), zlib.zstdDecompressSync(blob));
    const names = spawnSync("tar", ["-tf", join(out, "layer.tar")], { encoding: "utf8" }).stdout
      .split("\n");
    assert.deepEqual(names.filter(Boolean), ["logs/", "logs/keep.txt"]);
  });

  it("SOURCE_DATE_EPOCH as a build arg sets created and gives the same digest twice", async () => {
    const ctx = context({ Dockerfile: "FROM scratch\nCOPY a /a\n", a: "a" });
    const digests: string[] = [];
    for (const i of [1, 2]) {
      const out = mkdtempSync(join(tmpdir(), "bk-flags-out-"));
      const r = await run([
        "build",
        "--cache-dir",
        join(out, "store"),
        "--progress=quiet",
        "--build-arg",
        "SOURCE_DATE_EPOCH=1600000000",
        "-o",
        `type=oci,dest=${join(out, "i.tar")},rewrite-timestamp=true`,
        ctx,
      ]);
      assert.equal(r.code, 0, `${i}: ${r.err}`);
      const inspect = skopeo(["inspect", `oci-archive:${join(out, "i.tar")}`]);
      assert.equal(inspect.Created, "2020-09-13T12:26:40Z");
      digests.push(inspect.Digest);
    }
    assert.equal(digests[0], digests[1]);
  });
});
