import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createTarStream,
  createTarWriter,
  readTar,
  TarError,
  type TarHeader,
  TarReaderStream,
  type TarWriterEntry,
  TarWriterStream,
} from "../../src/archive/mod.ts";

const te = new TextEncoder();

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function streamOf(bytes: Uint8Array, chunk = 7): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.slice(off, off + chunk));
      off += chunk;
    },
  });
}

async function readAll(tar: Uint8Array, chunk?: number) {
  const out: { header: Awaited<ReturnType<typeof first>>["header"]; data: Uint8Array }[] = [];
  for await (const e of readTar(streamOf(tar, chunk))) {
    out.push({ header: e.header, data: await e.bytes() });
  }
  return out;
}
async function first(tar: Uint8Array) {
  for await (const e of readTar(streamOf(tar))) return e;
  throw new Error("empty");
}

const cap = new Uint8Array([0x01, 0x00, 0x00, 0x02, 0xc0, 0x00, 0x00, 0x00, 0x80, 0x00]);

const ENTRIES: TarWriterEntry[] = [
  { header: { name: "dir/", type: "directory", mode: 0o755, mtime: 1700000000 } },
  {
    header: { name: "dir/file.txt", type: "file", size: 5, mode: 0o600, uid: 1, gid: 2 },
    body: te.encode("hello"),
  },
  { header: { name: "dir/sym", type: "symlink", linkname: "file.txt" } },
  { header: { name: "dir/hard", type: "link", linkname: "dir/file.txt" } },
  { header: { name: "dev/null", type: "char", mode: 0o666, devmajor: 1, devminor: 3 } },
  { header: { name: "dev/sda", type: "block", mode: 0o660, devmajor: 8, devminor: 0 } },
  { header: { name: "run/fifo", type: "fifo", mode: 0o644 } },
  {
    header: { name: "a/".repeat(70) + "deep.txt", type: "file", size: 3 }, // USTAR split
    body: te.encode("abc"),
  },
  {
    header: { name: "long-" + "x".repeat(200), type: "file", size: 1 }, // PAX path
    body: te.encode("!"),
  },
  { header: { name: "longlink", type: "symlink", linkname: "/t".repeat(80) } }, // PAX linkpath
  { header: { name: "uid", type: "file", uid: 3_000_000, gid: 4_000_000 } }, // PAX uid/gid
  { header: { name: "names", type: "file", uname: "u".repeat(40), gname: "grp\u00e9" } },
  { header: { name: "\u65e5\u672c\u8a9e.txt", type: "file" } }, // non-ASCII path
  {
    header: {
      name: "usr/bin/ping",
      type: "file",
      mode: 0o4755,
      xattrs: { "security.capability": cap, "user.comment": "hi" },
    },
  },
  { header: { name: "old", type: "file", mtime: -100 } }, // negative mtime
  {
    header: { name: "records", type: "file", paxRecords: { "GOLANG.pkg": "tar", comment: "c" } },
  },
];

describe("tar writer and reader round trip", () => {
  it("readTar() gives back every entry type and PAX case createTarStream() wrote", async () => {
    const tar = await bytesOf(createTarStream(ENTRIES));
    assert.equal(tar.length % 512, 0);
    assert.deepEqual(tar.subarray(tar.length - 1024), new Uint8Array(1024));
    const got = await readAll(tar);
    assert.equal(got.length, ENTRIES.length);
    for (const [i, e] of ENTRIES.entries()) {
      const want: TarHeader = e.header;
      const h = got[i]!.header;
      assert.equal(h.name, want.name, `name of #${i}`);
      assert.equal(h.type, want.type, `type of ${want.name}`);
      assert.equal(h.linkname, want.linkname ?? "");
      assert.equal(h.size, want.size ?? 0);
      assert.equal(h.uid, want.uid ?? 0);
      assert.equal(h.gid, want.gid ?? 0);
      assert.equal(h.uname, want.uname ?? "");
      assert.equal(h.gname, want.gname ?? "");
      assert.equal(h.mtime, want.mtime ?? 0);
      assert.equal(h.devmajor, want.devmajor ?? 0);
      assert.equal(h.devminor, want.devminor ?? 0);
      if (want.mode !== undefined) assert.equal(h.mode, want.mode);
      for (const [k, v] of Object.entries(want.xattrs ?? {})) {
        assert.deepEqual(h.xattrs[k], typeof v === "string" ? te.encode(v) : v);
      }
      for (const [k, v] of Object.entries(want.paxRecords ?? {})) assert.equal(h.paxRecords[k], v);
      const body = e.body instanceof Uint8Array ? e.body : new Uint8Array(0);
      assert.deepEqual(got[i]!.data, body);
    }
    // Which entries needed PAX.
    const formats = got.map((g) => g.header.format);
    assert.deepEqual(formats, [
      "ustar",
      "ustar",
      "ustar",
      "ustar",
      "ustar",
      "ustar",
      "ustar",
      "ustar",
      "pax",
      "pax",
      "pax",
      "pax",
      "pax",
      "pax",
      "pax",
      "pax",
    ]);
  });

  it("readTar() reads the sub-second mtime back when the writer was asked to keep it", async () => {
    const entries: TarWriterEntry[] = [{
      header: { name: "f", type: "file", mtime: 1700000000, mtimeNsec: 5 },
    }];
    const kept = await readAll(await bytesOf(createTarStream(entries, { subSecondMtime: true })));
    assert.equal(kept[0]!.header.mtime, 1700000000);
    assert.equal(kept[0]!.header.mtimeNsec, 5);
    assert.equal(kept[0]!.header.paxRecords["mtime"], "1700000000.000000005");
    const dropped = await readAll(await bytesOf(createTarStream(entries)));
    assert.equal(dropped[0]!.header.mtimeNsec, 0);
    assert.equal(dropped[0]!.header.format, "ustar");
  });

  it("createTarStream() gives identical bytes for the same entries", async () => {
    const a = await bytesOf(createTarStream(ENTRIES));
    const b = await bytesOf(createTarStream(ENTRIES.map((e) => ({ ...e }))));
    assert.deepEqual(a, b);
    // Re-writing what was read gives the same bytes again.
    const read = await readAll(a);
    const c = await bytesOf(
      createTarStream(read.map((r) => ({ header: r.header, body: r.data }))),
    );
    assert.deepEqual(c, a);
  });

  it("createTarStream() streams bodies from streams and iterables", async () => {
    async function* gen() {
      yield te.encode("ab");
      yield te.encode("cd");
    }
    const tar = await bytesOf(createTarStream([
      { header: { name: "s", type: "file", size: 3 }, body: streamOf(te.encode("xyz"), 1) },
      { header: { name: "g", type: "file", size: 4 }, body: gen() },
      { header: { name: "i", type: "file", size: 2 }, body: [te.encode("q"), te.encode("r")] },
    ]));
    const got = await readAll(tar, 100);
    assert.deepEqual(got.map((g) => new TextDecoder().decode(g.data)), ["xyz", "abcd", "qr"]);
  });

  it("createTarStream() fails when a body is shorter or longer than its size", async () => {
    await assert.rejects(
      bytesOf(
        createTarStream([{ header: { name: "f", type: "file", size: 4 }, body: te.encode("abc") }]),
      ),
      (e: unknown) => e instanceof TarError && /body has 3 bytes.*size is 4/.test(e.message),
    );
    await assert.rejects(
      bytesOf(
        createTarStream([{
          header: { name: "f", type: "file", size: 2 },
          body: streamOf(te.encode("abc"), 1),
        }]),
      ),
      /longer than the header size 2/,
    );
    await assert.rejects(
      bytesOf(createTarStream([{ header: { name: "f", type: "file", size: 1 } }])),
      /body has 0 bytes/,
    );
  });

  it("readTar() skips unread bodies and bodies cancelled with skip()", async () => {
    const tar = await bytesOf(createTarStream([
      { header: { name: "a", type: "file", size: 1000 }, body: new Uint8Array(1000).fill(1) },
      { header: { name: "b", type: "file", size: 700 }, body: new Uint8Array(700).fill(2) },
      { header: { name: "c", type: "file", size: 3 }, body: te.encode("end") },
    ]));
    const names: string[] = [];
    let last = "";
    for await (const e of readTar(streamOf(tar, 300))) {
      names.push(e.header.name);
      if (e.header.name === "b") {
        const r = e.body.getReader();
        await r.read(); // partly read, then move on
        r.releaseLock();
      }
      if (e.header.name === "a") await e.skip();
      if (e.header.name === "c") last = new TextDecoder().decode(await e.bytes());
    }
    assert.deepEqual(names, ["a", "b", "c"]);
    assert.equal(last, "end");
  });

  it("readTar() names the offset of an entry whose header checksum is wrong", async () => {
    const tar = (await bytesOf(createTarStream([
      { header: { name: "a", type: "file", size: 600 }, body: new Uint8Array(600) },
      { header: { name: "b", type: "file" } },
    ]))).slice();
    tar[1536 + 10] = 0x41; // inside the name of the second header, at offset 1536
    await assert.rejects(readAll(tar), (e: unknown) => {
      assert.ok(e instanceof TarError);
      assert.equal(e.offset, 1536);
      assert.match(e.message, /invalid tar header checksum.*offset 1536/);
      return true;
    });
  });

  it("readTar() reports a truncated body", async () => {
    const tar = await bytesOf(createTarStream([
      { header: { name: "a", type: "file", size: 600 }, body: new Uint8Array(600) },
    ]));
    await assert.rejects(readAll(tar.subarray(0, 800)), /unexpected end of archive/);
  });

  it("TarWriterStream and TarReaderStream pipe entries through", async () => {
    const entries = ReadableStream.from<TarWriterEntry>([
      { header: { name: "x", type: "file", size: 2 }, body: te.encode("hi") },
      { header: { name: "y/", type: "directory" } },
    ]);
    const out = entries.pipeThrough(new TarWriterStream()).pipeThrough(new TarReaderStream());
    const names: string[] = [];
    for await (const e of out) {
      names.push(`${e.header.name}:${new TextDecoder().decode(await e.bytes())}`);
    }
    assert.deepEqual(names, ["x:hi", "y/:"]);
  });

  it("createTarWriter() writes entries while the readable is consumed", async () => {
    const { readable, writer } = createTarWriter();
    const done = bytesOf(readable);
    await writer.write({ header: { name: "a", type: "file", size: 1 }, body: te.encode("A") });
    await writer.write({ header: { name: "b", type: "fifo" } });
    await writer.close();
    const tar = await done;
    assert.deepEqual(
      tar,
      await bytesOf(createTarStream([
        { header: { name: "a", type: "file", size: 1 }, body: te.encode("A") },
        { header: { name: "b", type: "fifo" } },
      ])),
    );
  });

  it("createTarWriter() rejects the write whose body has the wrong length", async () => {
    const { readable, writer } = createTarWriter();
    const done = bytesOf(readable).catch((e) => e);
    await assert.rejects(
      writer.write({ header: { name: "a", type: "file", size: 5 }, body: te.encode("A") }),
      /body has 1 bytes/,
    );
    assert.ok((await done) instanceof TarError);
  });
});
