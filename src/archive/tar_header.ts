// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * Tar header blocks and PAX records: encoding with the same format choices and
 * field formatting as Go's `archive/tar` (as containerd and BuildKit call it),
 * and tolerant decoding of USTAR, PAX, GNU and V7 headers.
 *
 * Writer rules (Go's, with the header `Format` set to PAX the way containerd's
 * tar writer does it):
 * - USTAR when every field fits (a long ASCII path may be split into the
 *   155-byte prefix and the 100-byte name); otherwise a PAX extended header
 *   (`x`, named `<dir>/PaxHeaders.0/<base>`, mode/uid/gid/mtime 0) carrying only
 *   the records for fields that do not fit, plus xattrs and caller records,
 *   sorted by key.
 * - Numeric fields are octal with leading zeros and a NUL (`0000644\0`); a value
 *   that does not fit (uid > 2097151, size >= 8 GiB, negative mtime) is written
 *   as 0 and carried by its PAX record. Strings that do not fit are cut (a cut
 *   ending in `/` loses its trailing slashes); non-ASCII characters are dropped
 *   from the header fields of a PAX entry (the PAX record has them).
 * - The checksum is six octal digits, a NUL and a space.
 * - mtime: whole seconds (the fraction is dropped, as containerd truncates).
 *   A PAX `mtime` record with the fraction is written only when the caller asks
 *   for it with `subSecondMtime` (BuildKit layers carry whole seconds).
 *
 * @module
 */

/** Size of one tar block. */
export const BLOCK_SIZE = 512;

/** Largest PAX extended header or GNU long name/link body accepted (as Go and libarchive). */
export const MAX_SPECIAL_FILE_SIZE = 1 << 20;

/** The kinds of entries a layer holds. */
export type TarEntryType =
  | "file"
  | "link"
  | "symlink"
  | "char"
  | "block"
  | "directory"
  | "fifo";

/**
 * A tar entry header as the writer takes it. Omitted fields default to 0 or
 * empty, except `mode` (0o755 for directories, 0o777 for symlinks, 0o644
 * otherwise). Names are written as given: add the trailing `/` to directory
 * names yourself if you want it (Go's `FileInfoHeader` does).
 */
export interface TarHeader {
  /** Path inside the archive (UTF-8). */
  name: string;
  /** Entry kind; `"other"` writes `typeflag` verbatim. */
  type: TarEntryType | "other";
  /** Raw typeflag character, used only when `type` is `"other"`. */
  typeflag?: string;
  /** Target of a symlink or hardlink. */
  linkname?: string;
  /** Body size in bytes; must be 0 for links, devices, directories and fifos. */
  size?: number;
  /** Permission bits (and setuid/setgid/sticky), e.g. `0o644`. */
  mode?: number;
  /** Numeric owner. */
  uid?: number;
  /** Numeric group. */
  gid?: number;
  /** Owner name; empty unless given. */
  uname?: string;
  /** Group name; empty unless given. */
  gname?: string;
  /** Modification time, whole seconds since the Unix epoch (may be negative). */
  mtime?: number;
  /** Nanoseconds of the modification time (0..999999999); written only with `subSecondMtime`. */
  mtimeNsec?: number;
  /** Device major number (char and block devices). */
  devmajor?: number;
  /** Device minor number (char and block devices). */
  devminor?: number;
  /** Extended attributes, written as `SCHILY.xattr.<name>` PAX records; bytes are kept exactly. */
  xattrs?: Record<string, Uint8Array | string>;
  /**
   * Extra PAX records. Like Go's `PAXRecords`: records for the basic keys
   * (path, size, uid, mtime, …) are written only when equal to the header's
   * own value, and any record at all makes the entry PAX.
   */
  paxRecords?: Record<string, string>;
}

/** The header format a block was written in. */
export type TarFormat = "v7" | "ustar" | "pax" | "gnu" | "star";

/** A fully decoded entry header, as the reader gives it. */
export interface TarEntryHeader {
  /** Path inside the archive (PAX `path` or GNU long name applied, USTAR prefix joined). */
  name: string;
  /** Entry kind; `"other"` for typeflags this codec does not interpret (see `typeflag`). */
  type: TarEntryType | "other";
  /** Raw typeflag character (`"\0"` is reported as `"0"` or `"5"`). */
  typeflag: string;
  /** Target of a symlink or hardlink; empty otherwise. */
  linkname: string;
  /** Size from the header (PAX `size` applied). */
  size: number;
  /** Mode bits as stored. */
  mode: number;
  /** Numeric owner. */
  uid: number;
  /** Numeric group. */
  gid: number;
  /** Owner name. */
  uname: string;
  /** Group name. */
  gname: string;
  /** Modification time, whole seconds (floor). */
  mtime: number;
  /** Nanoseconds of the modification time (from PAX `mtime`), else 0. */
  mtimeNsec: number;
  /** Device major number. */
  devmajor: number;
  /** Device minor number. */
  devminor: number;
  /** Extended attributes from `SCHILY.xattr.*` records, as exact bytes. */
  xattrs: Record<string, Uint8Array>;
  /** Every other PAX record of this entry (UTF-8 decoded), e.g. `path`, `mtime`, `atime`. */
  paxRecords: Record<string, string>;
  /** The format guessed from the header (`"pax"` when PAX records applied). */
  format: TarFormat;
  /** Byte offset of the first header block of this entry (incl. PAX/GNU meta headers). */
  offset: number;
}

/** One decoded 512-byte header block, before PAX or GNU long names are applied. */
export interface TarHeaderBlock {
  /** Raw typeflag character. */
  typeflag: string;
  /** Name field (USTAR/STAR prefix joined). */
  name: string;
  /** Linkname field. */
  linkname: string;
  /** Size field. */
  size: number;
  /** Mode field. */
  mode: number;
  /** Uid field. */
  uid: number;
  /** Gid field. */
  gid: number;
  /** Mtime field (seconds). */
  mtime: number;
  /** Uname field. */
  uname: string;
  /** Gname field. */
  gname: string;
  /** Devmajor field. */
  devmajor: number;
  /** Devminor field. */
  devminor: number;
  /** Format guessed from the magic. */
  format: Exclude<TarFormat, "pax">;
}

/**
 * Thrown for malformed archives, headers that cannot be encoded, and bodies of
 * the wrong length. `offset` is the archive byte offset the problem was found at,
 * when known.
 *
 * @example
 * ```ts
 * import { TarError } from "./tar_header.ts";
 * const e = new TarError("invalid tar header checksum", { offset: 1024 });
 * console.assert(e.message === "invalid tar header checksum (at byte offset 1024)");
 * ```
 */
export class TarError extends Error {
  /** Byte offset in the archive, when known. */
  readonly offset: number | undefined;

  /** Builds the error; the offset, when given, is appended to the message. */
  constructor(message: string, options: ErrorOptions & { offset?: number } = {}) {
    super(
      options.offset === undefined ? message : `${message} (at byte offset ${options.offset})`,
      options,
    );
    this.name = "TarError";
    this.offset = options.offset;
  }
}

const TYPEFLAGS: Record<TarEntryType, string> = {
  file: "0",
  link: "1",
  symlink: "2",
  char: "3",
  block: "4",
  directory: "5",
  fifo: "6",
};

const TYPES_BY_FLAG: Record<string, TarEntryType> = {
  "0": "file",
  "7": "file",
  "1": "link",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "directory",
  "6": "fifo",
};

const BASIC_KEYS = new Set([
  "path",
  "linkpath",
  "size",
  "uid",
  "gid",
  "uname",
  "gname",
  "mtime",
  "atime",
  "ctime",
]);

/** PAX key prefix for extended attributes. */
export const PAX_XATTR_PREFIX = "SCHILY.xattr.";

const NAME_SIZE = 100;
const PREFIX_SIZE = 155;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Maps a typeflag character to an entry kind (`"\0"` and `"7"` are regular files). */
export function entryTypeOf(typeflag: string): TarEntryType | "other" {
  return TYPES_BY_FLAG[typeflag] ?? "other";
}

/**
 * Whether a typeflag never has a body, whatever its size field says
 * (hardlink, symlink, char, block, directory, fifo).
 */
export function isHeaderOnlyTypeflag(typeflag: string): boolean {
  return typeflag >= "1" && typeflag <= "6" && typeflag.length === 1;
}

/**
 * Sums of a header block's bytes with the checksum field counted as spaces:
 * POSIX's unsigned sum and the signed sum old Sun tar wrote.
 */
export function tarChecksum(block: Uint8Array): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += c;
    signed += c >= 0x80 ? c - 0x100 : c;
  }
  return { unsigned, signed };
}

/**
 * Formats a PAX time value as Go does: integer seconds, or seconds and up to
 * nine fraction digits with trailing zeros removed.
 *
 * @example
 * ```ts
 * import { formatPaxTime } from "./tar_header.ts";
 * console.assert(formatPaxTime(1700000000, 123000000) === "1700000000.123");
 * console.assert(formatPaxTime(-2, 500000000) === "-1.5");
 * ```
 */
export function formatPaxTime(sec: number, nsec = 0): string {
  if (nsec === 0) return String(sec);
  let sign = "";
  let s = sec;
  let n = nsec;
  if (s < 0) {
    sign = "-";
    s = -(s + 1);
    n = 1e9 - n;
  }
  return `${sign}${s}.${String(n).padStart(9, "0")}`.replace(/0+$/, "");
}

/**
 * Parses a PAX time value (`%d` or `%d.%d`, possibly negative) into whole
 * seconds (floor) and nanoseconds; digits past nine are dropped.
 *
 * @example
 * ```ts
 * import { parsePaxTime } from "./tar_header.ts";
 * const t = parsePaxTime("-1.5");
 * console.assert(t.sec === -2 && t.nsec === 500000000);
 * ```
 */
export function parsePaxTime(value: string): { sec: number; nsec: number } {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(value);
  if (!m) throw new TarError(`invalid PAX time ${JSON.stringify(value)}`);
  const secs = Number(m[2]);
  const frac = (m[3] ?? "").slice(0, 9).padEnd(9, "0");
  const nsec = Number(frac);
  if (!Number.isSafeInteger(secs)) throw new TarError(`PAX time out of range: ${value}`);
  if (m[1] === "-") {
    return nsec === 0 ? { sec: -secs, nsec: 0 } : { sec: -secs - 1, nsec: 1e9 - nsec };
  }
  return { sec: secs, nsec };
}

/**
 * Encodes PAX records (`"<len> <key>=<value>\n"`) in the order given. Values may
 * be bytes (binary xattrs are kept exactly).
 *
 * @example
 * ```ts
 * import { encodePaxRecords } from "./tar_header.ts";
 * const b = encodePaxRecords([["path", "a"]]);
 * console.assert(new TextDecoder().decode(b) === "9 path=a\n");
 * ```
 */
export function encodePaxRecords(
  records: Iterable<readonly [string, Uint8Array | string]>,
): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const [key, value] of records) {
    const k = encoder.encode(key);
    const v = typeof value === "string" ? encoder.encode(value) : value;
    const base = k.length + v.length + 3; // ' ', '=', '\n'
    let size = base + String(base).length;
    if (String(size).length + base !== size) size = base + String(size).length;
    const prefix = encoder.encode(`${size} `);
    const rec = new Uint8Array(size);
    rec.set(prefix, 0);
    rec.set(k, prefix.length);
    rec[prefix.length + k.length] = 0x3d;
    rec.set(v, prefix.length + k.length + 1);
    rec[size - 1] = 0x0a;
    parts.push(rec);
    total += size;
  }
  return concat(parts, total);
}

/**
 * Decodes the body of a PAX extended header into records (later duplicates
 * win). Values stay bytes; decode them as UTF-8 where they are text.
 *
 * @example
 * ```ts
 * import { decodePaxRecords } from "./tar_header.ts";
 * const m = decodePaxRecords(new TextEncoder().encode("9 path=a\n"));
 * console.assert(new TextDecoder().decode(m.get("path")) === "a");
 * ```
 */
export function decodePaxRecords(
  data: Uint8Array,
  options: { offset?: number } = {},
): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let pos = 0;
  const bad = (why: string): never => {
    throw new TarError(`invalid PAX record: ${why}`, withOffset(options.offset));
  };
  while (pos < data.length) {
    let sp = pos;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    if (sp === data.length || sp === pos || sp - pos > 15) bad("no length field");
    let n = 0;
    for (let i = pos; i < sp; i++) {
      const c = data[i]!;
      if (c < 0x30 || c > 0x39) bad("length is not a decimal number");
      n = n * 10 + (c - 0x30);
    }
    if (n < 5 || pos + n > data.length || sp + 1 > pos + n - 1) bad(`bad length ${n}`);
    if (data[pos + n - 1] !== 0x0a) bad("record does not end in a newline");
    const rec = data.subarray(sp + 1, pos + n - 1);
    const eq = rec.indexOf(0x3d);
    if (eq < 0) bad("record has no '='");
    const keyBytes = rec.subarray(0, eq);
    if (keyBytes.includes(0)) bad("key contains NUL");
    const key = decoder.decode(keyBytes);
    const value = rec.subarray(eq + 1);
    if (STRING_KEYS.has(key) && value.includes(0)) bad(`${key} contains NUL`);
    out.set(key, value);
    pos += n;
  }
  return out;
}

const STRING_KEYS = new Set(["path", "linkpath", "uname", "gname"]);

/** Options for {@linkcode encodeTarHeader}. */
export interface EncodeTarHeaderOptions {
  /**
   * Write a PAX `mtime` record with the fraction when `mtimeNsec` is not 0.
   * Off by default: layers carry whole seconds, as BuildKit's do.
   */
  subSecondMtime?: boolean;
}

/**
 * Encodes everything that precedes an entry's body: an optional PAX extended
 * header (block plus padded records) and the entry's header block. The result's
 * length is a multiple of 512.
 *
 * @example
 * ```ts
 * import { encodeTarHeader } from "./tar_header.ts";
 * const b = encodeTarHeader({ name: "a.txt", type: "file", size: 3, mode: 0o644 });
 * console.assert(b.length === 512);
 * console.assert(new TextDecoder().decode(b.subarray(100, 108)) === "0000644\0");
 * ```
 */
export function encodeTarHeader(
  header: TarHeader,
  options: EncodeTarHeaderOptions = {},
): Uint8Array {
  const name = header.name;
  const where = `tar entry ${JSON.stringify(name)}`;
  const fail = (why: string): never => {
    throw new TarError(`cannot encode ${where}: ${why}`);
  };
  let typeflag: string;
  if (header.type === "other") {
    typeflag = header.typeflag ?? "";
    if (typeflag.length !== 1 || typeflag.charCodeAt(0) > 0x7f) {
      fail("typeflag must be one ASCII character");
    }
    if ("xgLK".includes(typeflag)) fail(`typeflag ${typeflag} is written by the codec itself`);
  } else {
    typeflag = TYPEFLAGS[header.type] ?? fail(`unknown type ${String(header.type)}`);
  }
  if (name === "") fail("empty name");
  const linkname = header.linkname ?? "";
  const size = header.size ?? 0;
  const mode = header.mode ??
    (header.type === "directory" ? 0o755 : header.type === "symlink" ? 0o777 : 0o644);
  const uid = header.uid ?? 0;
  const gid = header.gid ?? 0;
  const uname = header.uname ?? "";
  const gname = header.gname ?? "";
  const mtime = header.mtime ?? 0;
  const nsec = options.subSecondMtime ? header.mtimeNsec ?? 0 : 0;
  const devmajor = header.devmajor ?? 0;
  const devminor = header.devminor ?? 0;
  for (
    const [field, v] of [["size", size], ["mode", mode], ["uid", uid], ["gid", gid], [
      "devmajor",
      devmajor,
    ], ["devminor", devminor]] as const
  ) {
    if (!Number.isSafeInteger(v) || v < 0) fail(`${field} must be a non-negative integer`);
  }
  if (!Number.isSafeInteger(mtime)) fail("mtime must be an integer number of seconds");
  if (!Number.isInteger(nsec) || nsec < 0 || nsec > 999_999_999) {
    fail("mtimeNsec must be an integer in 0..999999999");
  }
  if (isHeaderOnlyTypeflag(typeflag) && size !== 0) fail(`a ${header.type} entry has no body`);
  if ("0346".includes(typeflag) && name.endsWith("/")) fail("name may not end in '/'");

  // Which formats can hold the header, and the records for what USTAR cannot.
  const pax = new Map<string, Uint8Array | string>();
  const callerRecords = header.paxRecords ?? {};
  let ustarOk = true;
  let paxOk = true;
  let preferPax = false;
  const verifyString = (s: string, width: number, key: string) => {
    const tooLong = utf8Length(s) > width;
    if (!isAscii(s) || tooLong) {
      if (!(key === "path" && splitUstarPath(s))) ustarOk = false;
      pax.set(key, s);
    }
    if (Object.hasOwn(callerRecords, key) && callerRecords[key] === s) pax.set(key, s);
  };
  const verifyNumber = (n: number, width: number, key: string | null) => {
    if (!fitsOctal(width, n)) {
      ustarOk = false;
      if (key === null) paxOk = false;
      else pax.set(key, String(n));
    }
    if (key !== null && Object.hasOwn(callerRecords, key) && callerRecords[key] === String(n)) {
      pax.set(key, String(n));
    }
  };
  verifyString(name, NAME_SIZE, "path");
  verifyString(linkname, NAME_SIZE, "linkpath");
  verifyString(uname, 32, "uname");
  verifyString(gname, 32, "gname");
  verifyNumber(mode, 8, null);
  verifyNumber(uid, 8, "uid");
  verifyNumber(gid, 8, "gid");
  verifyNumber(size, 12, "size");
  verifyNumber(devmajor, 8, null);
  verifyNumber(devminor, 8, null);
  const mtimeFits = fitsOctal(12, mtime);
  if (!mtimeFits) ustarOk = false;
  if (!mtimeFits || nsec !== 0) {
    preferPax = true;
    pax.set("mtime", formatPaxTime(mtime, nsec));
  }
  if (
    callerRecords["mtime"] !== undefined && callerRecords["mtime"] === formatPaxTime(mtime, nsec)
  ) {
    pax.set("mtime", callerRecords["mtime"]);
  }
  let paxOnly = false;
  const xattrs = header.xattrs ?? {};
  const xattrNames = Object.keys(xattrs);
  if (xattrNames.length > 0) {
    for (const k of xattrNames) pax.set(PAX_XATTR_PREFIX + k, xattrs[k]!);
    paxOnly = true;
  }
  const recordKeys = Object.keys(callerRecords);
  if (recordKeys.length > 0) {
    for (const k of recordKeys) {
      if (pax.has(k) || BASIC_KEYS.has(k) || k.startsWith("GNU.sparse.")) continue;
      pax.set(k, callerRecords[k]!);
    }
    paxOnly = true;
  }
  for (const [k, v] of pax) {
    if (k === "" || k.includes("\0") || k.includes("=")) {
      fail(`invalid PAX record key ${JSON.stringify(k)}`);
    }
    if (STRING_KEYS.has(k) && typeof v === "string" && v.includes("\0")) {
      fail(`${k} contains NUL`);
    }
  }

  const values: HeaderValues = {
    name,
    linkname,
    size,
    mode,
    uid,
    gid,
    uname,
    gname,
    mtime,
    devmajor,
    devminor,
    typeflag,
  };
  if (ustarOk && !paxOnly && !preferPax) return ustarBlock(values);
  if (!paxOk) fail("mode, devmajor or devminor does not fit in 7 octal digits");

  const out: Uint8Array[] = [];
  if (pax.size > 0) {
    const keys = [...pax.keys()].sort(compareUtf8);
    const data = encodePaxRecords(keys.map((k) => [k, pax.get(k)!] as const));
    if (data.length > MAX_SPECIAL_FILE_SIZE) fail("PAX records exceed 1 MiB");
    const blk = new Uint8Array(BLOCK_SIZE);
    let paxName = toAscii(paxHeaderPath(name));
    if (paxName.length > NAME_SIZE) paxName = paxName.slice(0, NAME_SIZE);
    paxName = paxName.replace(/\/+$/, "");
    putString(blk, 0, NAME_SIZE, paxName);
    putOctal(blk, 100, 8, 0);
    putOctal(blk, 108, 8, 0);
    putOctal(blk, 116, 8, 0);
    putOctal(blk, 124, 12, data.length);
    putOctal(blk, 136, 12, 0);
    blk[156] = 0x78; // 'x'
    finishBlock(blk);
    out.push(blk, data, new Uint8Array(padding(data.length)));
  }
  out.push(paxMainBlock(values));
  return concat(out);
}

interface HeaderValues {
  name: string;
  linkname: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  devmajor: number;
  devminor: number;
  typeflag: string;
}

function ustarBlock(h: HeaderValues): Uint8Array {
  const blk = new Uint8Array(BLOCK_SIZE);
  let name = h.name;
  let prefix = "";
  const split = splitUstarPath(name);
  if (split) [prefix, name] = split;
  putString(blk, 0, NAME_SIZE, name);
  putCommon(blk, h, (off, width, s) => putString(blk, off, width, s));
  putString(blk, 345, PREFIX_SIZE, prefix);
  finishBlock(blk);
  return blk;
}

function paxMainBlock(h: HeaderValues): Uint8Array {
  const blk = new Uint8Array(BLOCK_SIZE);
  // Fields that do not fit are cut or zeroed; their PAX records carry them.
  putString(blk, 0, NAME_SIZE, toAscii(h.name));
  putCommon(blk, h, (off, width, s) => putString(blk, off, width, toAscii(s)));
  finishBlock(blk);
  return blk;
}

function putCommon(
  blk: Uint8Array,
  h: HeaderValues,
  str: (off: number, width: number, s: string) => void,
): void {
  str(157, NAME_SIZE, h.linkname);
  putOctal(blk, 100, 8, h.mode);
  putOctal(blk, 108, 8, h.uid);
  putOctal(blk, 116, 8, h.gid);
  putOctal(blk, 124, 12, h.size);
  putOctal(blk, 136, 12, h.mtime);
  blk[156] = h.typeflag.charCodeAt(0);
  str(265, 32, h.uname);
  str(297, 32, h.gname);
  putOctal(blk, 329, 8, h.devmajor);
  putOctal(blk, 337, 8, h.devminor);
}

/** Writes the USTAR magic and version, then the checksum. */
function finishBlock(blk: Uint8Array): void {
  blk.set([0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30], 257); // "ustar\0" "00"
  const { unsigned } = tarChecksum(blk);
  putOctal(blk, 148, 7, unsigned);
  blk[155] = 0x20;
}

/**
 * Go's `formatString`: copy (cut to the field width), NUL-terminate if there is
 * room; a cut that ends in '/' has its trailing slashes replaced by a NUL, so
 * old readers do not take a file for a directory.
 */
function putString(blk: Uint8Array, off: number, width: number, s: string): void {
  const bytes = encoder.encode(s);
  blk.set(bytes.length > width ? bytes.subarray(0, width) : bytes, off);
  if (bytes.length > width && bytes[width - 1] === 0x2f) {
    let n = width - 1;
    while (n > 0 && bytes[n - 1] === 0x2f) n--;
    blk[off + n] = 0;
  }
}

/** Go's `formatOctal`: zero-padded to width-1 digits and a NUL; a value that does not fit is written as 0. */
function putOctal(blk: Uint8Array, off: number, width: number, x: number): void {
  let s = (fitsOctal(width, x) ? x : 0).toString(8);
  const pad = width - s.length - 1;
  if (pad > 0) s = "0".repeat(pad) + s;
  for (let i = 0; i < s.length; i++) blk[off + i] = s.charCodeAt(i);
}

function fitsOctal(width: number, x: number): boolean {
  return x >= 0 && (width >= 22 || x < 2 ** ((width - 1) * 3));
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c === 0) return false;
  }
  return true;
}

function toAscii(s: string): string {
  if (isAscii(s)) return s;
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80 && c !== 0) out += ch;
  }
  return out;
}

function utf8Length(s: string): number {
  return isAscii(s) ? s.length : encoder.encode(s).length;
}

/** Splits a long ASCII path into USTAR prefix and name, or undefined if it cannot be. */
function splitUstarPath(name: string): [string, string] | undefined {
  let length = name.length;
  if (length <= NAME_SIZE || !isAscii(name)) return undefined;
  if (length > PREFIX_SIZE + 1) length = PREFIX_SIZE + 1;
  else if (name[length - 1] === "/") length--;
  const i = name.lastIndexOf("/", length - 1);
  const nlen = name.length - i - 1;
  if (i <= 0 || nlen > NAME_SIZE || nlen === 0 || i > PREFIX_SIZE) return undefined;
  return [name.slice(0, i), name.slice(i + 1)];
}

/** `<dir>/PaxHeaders.0/<base>`, cleaned like Go's `path.Join`. */
function paxHeaderPath(name: string): string {
  const slash = name.lastIndexOf("/");
  const dir = name.slice(0, slash + 1);
  const base = name.slice(slash + 1);
  return cleanPath([dir, "PaxHeaders.0", base].filter((e) => e !== "").join("/"));
}

/** Go's `path.Clean`. */
function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(seg);
  }
  const joined = out.join("/");
  if (rooted) return "/" + joined;
  return joined === "" ? "." : joined;
}

function compareUtf8(a: string, b: string): number {
  if (isAscii(a) && isAscii(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Number of zero bytes that pad `size` up to a whole block. */
export function padding(size: number): number {
  const r = size % BLOCK_SIZE;
  return r === 0 ? 0 : BLOCK_SIZE - r;
}

function concat(parts: Uint8Array[], total?: number): Uint8Array {
  const n = total ?? parts.reduce((a, p) => a + p.length, 0);
  if (parts.length === 1 && parts[0]!.length === n) return parts[0]!;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function withOffset(offset: number | undefined): { offset?: number } {
  return offset === undefined ? {} : { offset };
}

/** Whether a block is all zero bytes (end-of-archive marker). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK_SIZE; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * Parses a C string field: bytes up to the first NUL, decoded as UTF-8
 * (invalid sequences become U+FFFD).
 */
export function parseTarString(field: Uint8Array): string {
  const nul = field.indexOf(0);
  const b = nul < 0 ? field : field.subarray(0, nul);
  for (let i = 0; i < b.length; i++) {
    if (b[i]! >= 0x80) return decoder.decode(b);
  }
  return String.fromCharCode(...b);
}

/**
 * Parses a numeric field: GNU base-256 when the high bit of the first byte is
 * set, otherwise octal padded with spaces or NULs. Throws on garbage.
 */
export function parseTarNumber(field: Uint8Array, what = "numeric field", offset?: number): number {
  const first = field[0] ?? 0;
  if (first & 0x80) {
    const negative = (first & 0x40) !== 0;
    const inv = negative ? 0xff : 0;
    let x = 0n;
    for (let i = 0; i < field.length; i++) {
      let c = field[i]! ^ inv;
      if (i === 0) c &= 0x7f;
      x = (x << 8n) | BigInt(c);
    }
    const v = negative ? -x - 1n : x;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new TarError(`${what} out of range`, withOffset(offset));
    }
    return Number(v);
  }
  let start = 0;
  let end = field.length;
  while (start < end && (field[start] === 0x20 || field[start] === 0)) start++;
  while (end > start && (field[end - 1] === 0x20 || field[end - 1] === 0)) end--;
  let x = 0;
  for (let i = start; i < end; i++) {
    const c = field[i]!;
    if (c === 0) break;
    if (c < 0x30 || c > 0x37) {
      throw new TarError(`invalid octal ${what}`, withOffset(offset));
    }
    x = x * 8 + (c - 0x30);
  }
  if (!Number.isSafeInteger(x)) throw new TarError(`${what} out of range`, withOffset(offset));
  return x;
}

/**
 * Decodes one header block. Returns `null` for an all-zero block. Throws a
 * {@linkcode TarError} naming the offset when the checksum does not match.
 *
 * @example
 * ```ts
 * import { decodeTarHeaderBlock, encodeTarHeader } from "./tar_header.ts";
 * const h = decodeTarHeaderBlock(encodeTarHeader({ name: "d/", type: "directory" }));
 * console.assert(h?.name === "d/" && h.typeflag === "5" && h.mode === 0o755);
 * ```
 */
export function decodeTarHeaderBlock(
  block: Uint8Array,
  options: { offset?: number } = {},
): TarHeaderBlock | null {
  if (block.length < BLOCK_SIZE) {
    throw new TarError("short tar header block", withOffset(options.offset));
  }
  if (isZeroBlock(block)) return null;
  const off = options.offset;
  const sum = tarChecksum(block);
  let stored: number;
  try {
    stored = parseTarNumber(block.subarray(148, 156), "checksum", off);
  } catch {
    stored = -1;
  }
  if (stored !== sum.unsigned && stored !== sum.signed) {
    throw new TarError(
      `invalid tar header checksum: stored ${
        parseTarString(block.subarray(148, 156)).trim() || "nothing"
      }, computed ${sum.unsigned.toString(8)}`,
      withOffset(off),
    );
  }
  const magic = latin1(block.subarray(257, 263));
  const version = latin1(block.subarray(263, 265));
  let format: TarHeaderBlock["format"];
  if (magic === "ustar\0" && latin1(block.subarray(508, 512)) === "tar\0") format = "star";
  else if (magic === "ustar\0") format = "ustar";
  else if (magic === "ustar " && version === " \0") format = "gnu";
  else format = "v7";
  const num = (start: number, width: number, what: string) =>
    parseTarNumber(block.subarray(start, start + width), what, off);
  let name = parseTarString(block.subarray(0, 100));
  const h: TarHeaderBlock = {
    typeflag: String.fromCharCode(block[156]!),
    name,
    linkname: parseTarString(block.subarray(157, 257)),
    mode: num(100, 8, "mode"),
    uid: num(108, 8, "uid"),
    gid: num(116, 8, "gid"),
    size: num(124, 12, "size"),
    mtime: num(136, 12, "mtime"),
    uname: "",
    gname: "",
    devmajor: 0,
    devminor: 0,
    format,
  };
  if (format !== "v7") {
    h.uname = parseTarString(block.subarray(265, 297));
    h.gname = parseTarString(block.subarray(297, 329));
    h.devmajor = num(329, 8, "devmajor");
    h.devminor = num(337, 8, "devminor");
    let prefix = "";
    if (format === "ustar") prefix = parseTarString(block.subarray(345, 500));
    else if (format === "star") prefix = parseTarString(block.subarray(345, 476));
    if (prefix !== "") name = `${prefix}/${name}`;
    h.name = name;
  }
  if (h.size < 0) throw new TarError("negative size in tar header", withOffset(off));
  return h;
}

function latin1(b: Uint8Array): string {
  return String.fromCharCode(...b);
}
