// Interoperability of the tar codec with GNU tar and Python's tarfile, both
// required on the test machine.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  createTarStream,
  readTar,
  type TarEntryHeader,
  type TarWriterEntry,
} from "../../src/archive/mod.ts";

const te = new TextEncoder();
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}) {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    input: opts.input,
    env: { ...process.env, TZ: "UTC", LC_ALL: "C.UTF-8" },
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.error) throw new Error(`${cmd} could not start: ${r.error.message}`);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function must(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}) {
  const r = run(cmd, args, opts);
  assert.equal(r.code, 0, `${cmd} ${args.join(" ")} failed: ${r.err}`);
  return r.out;
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function readFile(path: string) {
  const out = new Map<string, { header: TarEntryHeader; data: Uint8Array }>();
  const stream = new Blob([readFileSync(path)]).stream() as ReadableStream<Uint8Array>;
  for await (const e of readTar(stream)) {
    out.set(e.header.name, { header: e.header, data: await e.bytes() });
  }
  return out;
}

let work = "";
before(() => {
  work = mkdtempSync(join(tmpdir(), "bk-tar-interop-"));
  for (const [cmd, arg] of [["tar", "--version"], ["python3", "--version"]] as const) {
    const r = spawnSync(cmd, [arg], { encoding: "utf8" });
    assert.equal(r.status, 0, `${cmd} is required for the tar interoperability tests`);
  }
});

// Python: list an archive as JSON, with PAX values as hex of their raw bytes.
const PY_LIST = `
import json, sys, tarfile
out = []
with tarfile.open(sys.argv[1]) as tf:
    for m in tf:
        out.append(dict(name=m.name, type=m.type.decode(), size=m.size, mode=m.mode, uid=m.uid,
            gid=m.gid, uname=m.uname, gname=m.gname, mtime=m.mtime, linkname=m.linkname,
            devmajor=m.devmajor, devminor=m.devminor,
            pax={k: v.encode("utf-8", "surrogateescape").hex() for k, v in m.pax_headers.items()},
            data=(tf.extractfile(m).read().hex() if m.isreg() else None)))
print(json.dumps(out))
`;

const cap = new Uint8Array([0x01, 0x00, 0x00, 0x02, 0xc0, 0x00, 0x00, 0x00, 0x80, 0x00]);
const LONG_DIR = "d".repeat(120);
const OURS: TarWriterEntry[] = [
  { header: { name: "dir/", type: "directory", mode: 0o755, mtime: 1700000000 } },
  {
    header: { name: "dir/f.txt", type: "file", size: 5, mode: 0o640, mtime: 1700000001 },
    body: te.encode("hello"),
  },
  { header: { name: "dir/sym", type: "symlink", linkname: "f.txt", mtime: 1700000002 } },
  { header: { name: "dir/hard", type: "link", linkname: "dir/f.txt", mtime: 1700000003 } },
  { header: { name: "dev/null", type: "char", mode: 0o666, devmajor: 1, devminor: 3 } },
  { header: { name: "dev/sda1", type: "block", mode: 0o660, devmajor: 8, devminor: 1 } },
  { header: { name: "dir/fifo", type: "fifo", mode: 0o600 } },
  { header: { name: `${LONG_DIR}/`, type: "directory" } },
  {
    header: { name: `${LONG_DIR}/${"n".repeat(130)}`, type: "file", size: 2 },
    body: te.encode("ok"),
  },
  { header: { name: "dir/longlink", type: "symlink", linkname: "../" + "t".repeat(150) } },
  { header: { name: "dir/bigids", type: "file", uid: 3_000_000, gid: 4_000_000 } },
  {
    header: {
      name: "dir/ping",
      type: "file",
      mode: 0o755,
      xattrs: { "security.capability": cap, "user.comment": "hi" },
    },
  },
  { header: { name: "dir/caf\u00e9", type: "file", uname: "alice", gname: "staff" } },
];

describe("archives we write", () => {
  it("createTarStream() output is listed by GNU tar with types, links, devices, ids and xattrs", async () => {
    const path = join(work, "ours.tar");
    writeFileSync(path, await bytesOf(createTarStream(OURS)));
    const out = must("tar", [
      "--xattrs",
      "--xattrs-include=*",
      "--numeric-owner",
      "--full-time",
      "-tvvf",
      path,
    ], { input: "" });
    const lines = out.split("\n");
    const line = (suffix: string) => {
      const l = lines.find((x) => x.endsWith(suffix));
      assert.ok(l, `GNU tar lists ${suffix}:\n${out}`);
      return l;
    };
    assert.match(line(" dir/"), /^drwxr-xr-x +0\/0 +0 2023-11-14 22:13:20 dir\/$/);
    assert.match(line(" dir/f.txt"), /^-rw-r----- +0\/0 +5 /);
    assert.match(line(" dir/sym -> f.txt"), /^lrwxrwxrwx /);
    assert.match(line(" dir/hard link to dir/f.txt"), /^hrw-r--r-- /);
    assert.match(line(" dev/null"), /^crw-rw-rw- +0\/0 +1,3 /);
    assert.match(line(" dev/sda1"), /^brw-rw---- +0\/0 +8,1 /);
    assert.match(line(" dir/fifo"), /^prw------- /);
    line(` ${LONG_DIR}/${"n".repeat(130)}`);
    line(` dir/longlink -> ../${"t".repeat(150)}`);
    assert.match(line(" dir/bigids"), / 3000000\/4000000 /);
    assert.match(line(" dir/caf\u00e9"), /^-rw-r--r-- /);
    const ping = lines.findIndex((x) => x.endsWith(" dir/ping"));
    assert.match(lines[ping]!, /^-rwxr-xr-x\* /);
    assert.deepEqual(lines.slice(ping + 1, ping + 3).map((l) => l.trim()).sort(), [
      "x: 10 security.capability",
      "x: 2 user.comment",
    ]);
  });

  it("createTarStream() output is extracted by GNU tar with contents, links and long names", async () => {
    const path = join(work, "ours-x.tar");
    writeFileSync(path, await bytesOf(createTarStream(OURS)));
    const dest = join(work, "extract");
    mkdirSync(dest);
    must("tar", ["-xf", path, "-C", dest, "--exclude=dev", "--exclude=dir/fifo"]);
    assert.equal(readFileSync(join(dest, "dir/f.txt"), "utf8"), "hello");
    assert.equal(readlinkSync(join(dest, "dir/sym")), "f.txt");
    assert.equal(statSync(join(dest, "dir/hard")).ino, statSync(join(dest, "dir/f.txt")).ino);
    assert.equal(readFileSync(join(dest, LONG_DIR, "n".repeat(130)), "utf8"), "ok");
    assert.equal(readlinkSync(join(dest, "dir/longlink")), "../" + "t".repeat(150));
    assert.equal(statSync(join(dest, "dir/f.txt")).mtimeMs, 1700000001000);
    assert.ok(lstatSync(join(dest, "dir/caf\u00e9")).isFile());
  });

  it("createTarStream() output is read exactly by Python's tarfile, incl. binary xattrs", async () => {
    const path = join(work, "ours-py.tar");
    writeFileSync(path, await bytesOf(createTarStream(OURS, { subSecondMtime: true })));
    const got = JSON.parse(must("python3", ["-c", PY_LIST, path])) as Record<string, unknown>[];
    assert.equal(got.length, OURS.length);
    const types: Record<string, string> = {
      file: "0",
      link: "1",
      symlink: "2",
      char: "3",
      block: "4",
      directory: "5",
      fifo: "6",
    };
    for (const [i, e] of OURS.entries()) {
      const g = got[i]!;
      const h = e.header;
      assert.equal(g["name"], h.name.replace(/\/$/, ""));
      assert.equal(g["type"], types[h.type]);
      assert.equal(g["size"], h.size ?? 0);
      assert.equal(g["linkname"], h.linkname ?? "");
      assert.equal(g["uid"], h.uid ?? 0);
      assert.equal(g["gid"], h.gid ?? 0);
      assert.equal(g["uname"], h.uname ?? "");
      assert.equal(g["gname"], h.gname ?? "");
      assert.equal(g["mtime"], h.mtime ?? 0);
      assert.equal(g["devmajor"], h.devmajor ?? 0);
      assert.equal(g["devminor"], h.devminor ?? 0);
      if (h.mode !== undefined) assert.equal(g["mode"], h.mode);
      if (e.body instanceof Uint8Array) assert.equal(g["data"], hex(e.body));
    }
    const pax = got.find((g) => g["name"] === "dir/ping")!["pax"] as Record<string, string>;
    assert.equal(pax["SCHILY.xattr.security.capability"], hex(cap));
    assert.equal(pax["SCHILY.xattr.user.comment"], hex(te.encode("hi")));
  });
});

describe("archives others write", () => {
  function makeTree(): string {
    const root = join(work, `tree-${Math.random().toString(36).slice(2)}`);
    mkdirSync(join(root, "top", LONG_DIR), { recursive: true });
    writeFileSync(join(root, "top", "file.txt"), "contents\n");
    writeFileSync(join(root, "top", LONG_DIR, "x".repeat(110)), "deep");
    linkSync(join(root, "top", "file.txt"), join(root, "top", "hard"));
    symlinkSync("file.txt", join(root, "top", "sym"));
    symlinkSync("/" + "y".repeat(140), join(root, "top", "longsym"));
    must("mkfifo", [join(root, "top", "fifo")]);
    return root;
  }

  for (const format of ["gnu", "posix"] as const) {
    it(`readTar() reads a GNU tar --format=${format} archive with long names, links and a fifo`, async () => {
      const root = makeTree();
      const path = join(work, `${format}.tar`);
      must("tar", [`--format=${format}`, "-cf", path, "-C", root, "top"]);
      const got = await readFile(path);
      const top = got.get("top/")!;
      assert.equal(top.header.type, "directory");
      const file = got.get("top/file.txt")!;
      assert.equal(file.header.type, "file");
      assert.equal(new TextDecoder().decode(file.data), "contents\n");
      assert.equal(
        file.header.mtime,
        Math.floor(statSync(join(root, "top/file.txt")).mtimeMs / 1000),
      );
      assert.equal(file.header.mode, 0o644 & statSync(join(root, "top/file.txt")).mode);
      const deep = got.get(`top/${LONG_DIR}/${"x".repeat(110)}`);
      assert.ok(deep, `long name in ${[...got.keys()].join(", ")}`);
      assert.equal(new TextDecoder().decode(deep.data), "deep");
      assert.equal(got.get("top/sym")?.header.type, "symlink");
      assert.equal(got.get("top/sym")?.header.linkname, "file.txt");
      assert.equal(got.get("top/longsym")?.header.linkname, "/" + "y".repeat(140));
      assert.equal(got.get("top/fifo")?.header.type, "fifo");
      // GNU tar stores the second name of a hard link as a link entry.
      const links = [...got.values()].filter((e) => e.header.type === "link");
      assert.equal(links.length, 1);
      assert.match(links[0]!.header.linkname, /^top\/(file\.txt|hard)$/);
      assert.equal(got.get(`top/${LONG_DIR}/`)?.header.type, "directory");
      assert.equal(format === "posix" ? "pax" : "gnu", got.get("top/file.txt")!.header.format);
    });
  }

  for (const format of ["GNU_FORMAT", "PAX_FORMAT"] as const) {
    it(`readTar() reads Python tarfile ${format} devices, big ids and xattrs`, async () => {
      const path = join(work, `py-${format}.tar`);
      must("python3", [
        "-c",
        `
import sys, tarfile, io
fmt = getattr(tarfile, "${format}")
with tarfile.open(sys.argv[1], "w", format=fmt) as tf:
    for name, typ, major, minor in [("dev/null", tarfile.CHRTYPE, 1, 3), ("dev/sda", tarfile.BLKTYPE, 8, 0)]:
        ti = tarfile.TarInfo(name); ti.type = typ; ti.devmajor = major; ti.devminor = minor; ti.mode = 0o660
        tf.addfile(ti)
    ti = tarfile.TarInfo("fifo"); ti.type = tarfile.FIFOTYPE; tf.addfile(ti)
    ti = tarfile.TarInfo("ids"); ti.uid = 3000000; ti.gid = 4000000; ti.size = 3; ti.mtime = 1700000000
    tf.addfile(ti, io.BytesIO(b"abc"))
    ti = tarfile.TarInfo("l" * 150); ti.type = tarfile.SYMTYPE; ti.linkname = "t" * 150; tf.addfile(ti)
    if fmt == tarfile.PAX_FORMAT:
        ti = tarfile.TarInfo("cap"); ti.mtime = 1700000000.25
        ti.pax_headers = {"SCHILY.xattr.security.capability": bytes.fromhex("${
          hex(cap)
        }").decode("utf-8", "surrogateescape")}
        tf.addfile(ti)
`,
        path,
      ]);
      const got = await readFile(path);
      assert.equal(got.get("dev/null")?.header.type, "char");
      assert.equal(got.get("dev/null")?.header.devmajor, 1);
      assert.equal(got.get("dev/null")?.header.devminor, 3);
      assert.equal(got.get("dev/sda")?.header.type, "block");
      assert.equal(got.get("dev/sda")?.header.devmajor, 8);
      assert.equal(got.get("fifo")?.header.type, "fifo");
      const ids = got.get("ids")!;
      assert.equal(ids.header.uid, 3_000_000);
      assert.equal(ids.header.gid, 4_000_000);
      assert.equal(new TextDecoder().decode(ids.data), "abc");
      assert.equal(got.get("l".repeat(150))?.header.linkname, "t".repeat(150));
      if (format === "PAX_FORMAT") {
        const c = got.get("cap")!.header;
        assert.deepEqual(c.xattrs["security.capability"], cap);
        assert.equal(c.mtime, 1700000000);
        assert.equal(c.mtimeNsec, 250_000_000);
      }
    });
  }

  for (const format of ["GNU_FORMAT", "PAX_FORMAT"] as const) {
    it(`readTar() reads a size over 8 GiB from a Python ${format} header`, async () => {
      const path = join(work, `big-${format}.tar`);
      must("python3", [
        "-c",
        `
import sys, tarfile
ti = tarfile.TarInfo("huge"); ti.size = 2**33 + 5
open(sys.argv[1], "wb").write(ti.tobuf(getattr(tarfile, "${format}"), "utf-8", "surrogateescape") + b"x" * 1000)
`,
        path,
      ]);
      const stream = new Blob([readFileSync(path)]).stream() as ReadableStream<Uint8Array>;
      for await (const e of readTar(stream)) {
        assert.equal(e.header.name, "huge");
        assert.equal(e.header.size, 2 ** 33 + 5);
        assert.equal(e.header.format, format === "GNU_FORMAT" ? "gnu" : "pax");
        break; // the body is not there
      }
    });
  }

  it("encodeTarHeader() sizes over 8 GiB are read by Python and GNU tar", async () => {
    const { encodeTarHeader } = await import("../../src/archive/mod.ts");
    const path = join(work, "ours-big.tar");
    writeFileSync(path, encodeTarHeader({ name: "huge", type: "file", size: 2 ** 33 + 5 }));
    const out = must("python3", [
      "-c",
      "import sys, tarfile\ntf = tarfile.open(sys.argv[1], 'r|')\nm = tf.next()\nprint(m.name, m.size)",
      path,
    ]);
    assert.equal(out.trim(), `huge ${2 ** 33 + 5}`);
    const gnu = run("tar", ["--numeric-owner", "-tvf", path]);
    assert.match(gnu.out, / 8589934597 1970-01-01 00:00 huge/);
  });
});
