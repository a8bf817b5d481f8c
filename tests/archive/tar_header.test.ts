import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  decodePaxRecords,
  decodeTarHeaderBlock,
  encodePaxRecords,
  encodeTarHeader,
  formatPaxTime,
  parsePaxTime,
  parseTarNumber,
  tarChecksum,
  TarError,
} from "../../src/archive/mod.ts";

const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
const field = (b: Uint8Array, off: number, len: number) => latin1(b.subarray(off, off + len));

/** Splits encodeTarHeader output into [paxRecordsText | null, mainBlock]. */
function split(
  bytes: Uint8Array,
): { pax: string | null; paxBlock: Uint8Array | null; main: Uint8Array } {
  if (bytes.length === 512) return { pax: null, paxBlock: null, main: bytes };
  const size = parseInt(field(bytes, 124, 11), 8);
  return {
    paxBlock: bytes.subarray(0, 512),
    pax: new TextDecoder().decode(bytes.subarray(512, 512 + size)),
    main: bytes.subarray(bytes.length - 512),
  };
}

describe("encodeTarHeader()", () => {
  it("encodeTarHeader() formats USTAR fields like Go: zero-padded octal with NUL, empty names", () => {
    const b = encodeTarHeader({
      name: "etc/hosts",
      type: "file",
      size: 5,
      mode: 0o644,
      uid: 1000,
      gid: 100,
      mtime: 1700000000,
    });
    assert.equal(b.length, 512);
    assert.equal(field(b, 0, 10), "etc/hosts\0");
    assert.equal(field(b, 100, 8), "0000644\0");
    assert.equal(field(b, 108, 8), "0001750\0");
    assert.equal(field(b, 116, 8), "0000144\0");
    assert.equal(field(b, 124, 12), "00000000005\0");
    assert.equal(field(b, 136, 12), "14524770400\0");
    assert.equal(field(b, 156, 1), "0");
    assert.equal(field(b, 257, 8), "ustar\x0000");
    assert.equal(field(b, 265, 64), "\0".repeat(64)); // uname/gname empty unless given
    assert.equal(field(b, 329, 16), "0000000\x000000000\0"); // devmajor/devminor
    assert.equal(field(b, 345, 155), "\0".repeat(155));
    const { unsigned } = tarChecksum(b);
    assert.equal(field(b, 148, 8), unsigned.toString(8).padStart(6, "0") + "\0 ");
  });

  it("encodeTarHeader() splits a long ASCII path into USTAR prefix and name", () => {
    const name = "d".repeat(120) + "/" + "f".repeat(90);
    const { pax, main } = split(encodeTarHeader({ name, type: "file" }));
    assert.equal(pax, null);
    assert.equal(field(main, 345, 121), "d".repeat(120) + "\0");
    assert.equal(field(main, 0, 91), "f".repeat(90) + "\0");
    assert.equal(decodeTarHeaderBlock(main)?.name, name);
  });

  it("encodeTarHeader() writes PAX records only for what does not fit, sorted by key", () => {
    const name = "n".repeat(150); // one component: cannot be split
    const { pax, paxBlock, main } = split(
      encodeTarHeader({
        name,
        type: "file",
        uid: 3_000_000,
        gid: 4_000_000,
        size: 0,
        uname: "root",
        mtime: 1,
      }),
    );
    assert.equal(pax, `15 gid=4000000\n160 path=${name}\n15 uid=3000000\n`);
    // The PAX header block: Go's name and zero mode/uid/gid/mtime.
    assert.ok(paxBlock);
    assert.equal(field(paxBlock, 0, 100), "PaxHeaders.0/" + "n".repeat(87));
    assert.equal(field(paxBlock, 100, 8), "0000000\0");
    assert.equal(field(paxBlock, 136, 12), "00000000000\0");
    assert.equal(field(paxBlock, 156, 1), "x");
    // In the main block the name is cut and the numbers that do not fit are 0.
    assert.equal(field(main, 0, 100), "n".repeat(100));
    assert.equal(field(main, 108, 8), "0000000\0");
    assert.equal(field(main, 116, 8), "0000000\0");
    assert.equal(field(main, 265, 5), "root\0");
  });

  it("encodeTarHeader() names the PAX header <dir>/PaxHeaders.0/<base> and keeps the link in PAX", () => {
    const link = "t/".repeat(60);
    const { pax, paxBlock } = split(
      encodeTarHeader({ name: "usr/bin/x", type: "symlink", linkname: link }),
    );
    assert.equal(pax, `134 linkpath=${link}\n`);
    assert.equal(field(paxBlock!, 0, 26), "usr/bin/PaxHeaders.0/x\0\0\0\0");
  });

  it("encodeTarHeader() puts sizes of 8 GiB and more in PAX and 0 in the header", () => {
    const size = 2 ** 33 + 5;
    const { pax, main } = split(encodeTarHeader({ name: "big", type: "file", size }));
    assert.equal(pax, `19 size=${size}\n`);
    assert.equal(field(main, 124, 12), "00000000000\0");
    assert.equal(
      split(encodeTarHeader({ name: "b", type: "file", size: 2 ** 33 - 1 })).pax,
      null,
    );
  });

  it("encodeTarHeader() keeps binary xattrs exactly and makes the entry PAX", () => {
    const cap = new Uint8Array([1, 0, 0, 2, 0xc0, 0, 0, 0, 0x80, 0xff]);
    const bytes = encodeTarHeader({
      name: "bin/ping",
      type: "file",
      xattrs: { "security.capability": cap, "user.a": "hi" },
    });
    const paxSize = parseInt(field(bytes, 124, 11), 8);
    const recs = decodePaxRecords(bytes.subarray(512, 512 + paxSize));
    assert.deepEqual([...recs.keys()], ["SCHILY.xattr.security.capability", "SCHILY.xattr.user.a"]);
    assert.deepEqual(recs.get("SCHILY.xattr.security.capability"), cap);
  });

  it("encodeTarHeader() writes the sub-second mtime only when asked", () => {
    const h = { name: "f", type: "file" as const, mtime: 1700000000, mtimeNsec: 123_456_000 };
    const plain = encodeTarHeader(h);
    assert.equal(plain.length, 512);
    assert.equal(field(plain, 136, 12), "14524770400\0");
    const { pax, main } = split(encodeTarHeader(h, { subSecondMtime: true }));
    assert.equal(pax, "27 mtime=1700000000.123456\n");
    assert.equal(field(main, 136, 12), "14524770400\0");
    // Whole seconds need no record even when asked.
    assert.equal(encodeTarHeader({ ...h, mtimeNsec: 0 }, { subSecondMtime: true }).length, 512);
  });

  it("encodeTarHeader() writes a negative mtime as 0 with a PAX record", () => {
    const { pax, main } = split(encodeTarHeader({ name: "f", type: "file", mtime: -5 }));
    assert.equal(pax, "12 mtime=-5\n");
    assert.equal(field(main, 136, 12), "00000000000\0");
  });

  it("encodeTarHeader() puts non-ASCII names in PAX and drops non-ASCII from the header", () => {
    const { pax, main } = split(encodeTarHeader({ name: "caf\u00e9.txt", type: "file" }));
    assert.equal(pax, "18 path=caf\u00e9.txt\n");
    assert.equal(field(main, 0, 8), "caf.txt\0");
  });

  it("encodeTarHeader() writes device numbers and types", () => {
    const b = encodeTarHeader({ name: "dev/null", type: "char", devmajor: 1, devminor: 3 });
    assert.equal(field(b, 156, 1), "3");
    assert.equal(field(b, 329, 16), "0000001\x000000003\0");
    const blk = decodeTarHeaderBlock(encodeTarHeader({ name: "sda", type: "block", devmajor: 8 }));
    assert.equal(blk?.typeflag, "4");
    assert.equal(blk?.devmajor, 8);
    assert.equal(decodeTarHeaderBlock(encodeTarHeader({ name: "p", type: "fifo" }))?.typeflag, "6");
  });

  it("encodeTarHeader() rejects what Go rejects", () => {
    assert.throws(() => encodeTarHeader({ name: "a/", type: "file" }), TarError);
    assert.throws(() => encodeTarHeader({ name: "a\0b", type: "file" }), TarError);
    assert.throws(() => encodeTarHeader({ name: "l", type: "symlink", size: 3 }), TarError);
    assert.throws(() => encodeTarHeader({ name: "m", type: "file", mode: 0o100000000 }), /mode/);
    assert.throws(() => encodeTarHeader({ name: "f", type: "file", size: -1 }), TarError);
    assert.throws(
      () => encodeTarHeader({ name: "f", type: "file", xattrs: { "a=b": "x" } }),
      /PAX record key/,
    );
  });

  it("encodeTarHeader() honours caller PAX records like Go's PAXRecords", () => {
    const { pax } = split(
      encodeTarHeader({
        name: "file",
        type: "file",
        paxRecords: { path: "FILE", "GNU.sparse.map": "0,0", comment: "hi", size: "0" },
      }),
    );
    // path differs from the name and GNU.sparse.* is reserved: dropped; size equals: kept.
    assert.equal(pax, "14 comment=hi\n9 size=0\n");
  });
});

describe("decodeTarHeaderBlock()", () => {
  it("decodeTarHeaderBlock() names the offset of a bad checksum", () => {
    const b = encodeTarHeader({ name: "a", type: "file" }).slice();
    b[0] = 0x62;
    assert.throws(() => decodeTarHeaderBlock(b, { offset: 1536 }), (e: unknown) => {
      assert.ok(e instanceof TarError);
      assert.equal(e.offset, 1536);
      assert.match(e.message, /checksum.*offset 1536/);
      return true;
    });
  });

  it("decodeTarHeaderBlock() returns null for a zero block", () => {
    assert.equal(decodeTarHeaderBlock(new Uint8Array(512)), null);
  });

  it("parseTarNumber() reads GNU base-256 and octal padded with spaces", () => {
    const b = new Uint8Array(12);
    b[0] = 0x80;
    b[7] = 0x02;
    b[11] = 0x05; // 2^33 + 5
    assert.equal(parseTarNumber(b), 2 ** 33 + 5);
    assert.equal(
      parseTarNumber(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe])),
      -2,
    );
    assert.equal(parseTarNumber(new TextEncoder().encode("  644 \0\0")), 0o644);
    assert.throws(() => parseTarNumber(new TextEncoder().encode("0009\0")), TarError);
  });
});

describe("PAX records and times", () => {
  it("encodePaxRecords() gets the length right across a digit boundary", () => {
    for (let n = 80; n < 120; n++) {
      const rec = encodePaxRecords([["k", "v".repeat(n)]]);
      const len = parseInt(new TextDecoder().decode(rec).split(" ")[0]!, 10);
      assert.equal(len, rec.length);
      assert.equal(decodePaxRecords(rec).get("k")?.length, n);
    }
  });

  it("decodePaxRecords() rejects a record without its newline", () => {
    assert.throws(() => decodePaxRecords(new TextEncoder().encode("9 path=ab")), TarError);
  });

  it("formatPaxTime() and parsePaxTime() agree with Go's rules", () => {
    assert.equal(formatPaxTime(1, 0), "1");
    assert.equal(formatPaxTime(1, 500_000_000), "1.5");
    assert.equal(formatPaxTime(-1, 0), "-1");
    assert.equal(formatPaxTime(-2, 500_000_000), "-1.5");
    assert.deepEqual(parsePaxTime("1350244992.023960108"), { sec: 1350244992, nsec: 23960108 });
    assert.deepEqual(parsePaxTime("1.1234567899"), { sec: 1, nsec: 123456789 });
    assert.deepEqual(parsePaxTime("-1.5"), { sec: -2, nsec: 500_000_000 });
    assert.throws(() => parsePaxTime("1x"), TarError);
  });
});
