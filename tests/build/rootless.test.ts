// Rootless builds: the CLI run by an unprivileged user re-executes itself in a user
// namespace (src/runtime/userns.ts) and RUN steps work there. The end-to-end tests create
// a test user (as root), run `deno run -A cli.ts build` as that user with setpriv, and
// check the output with skopeo and umoci (as root).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  buildIdMap,
  isIdMapped,
  ownerInNamespace,
  parseIdMap,
  parseSubIds,
  rootlessIdMaps,
  selfCommand,
  userNamespaceProblem,
} from "../../src/runtime/userns.ts";
import { defaultMounts, generateSpec } from "../../src/worker/exec_spec.ts";
import { installedRuntimes } from "../../src/worker/exec_runtime.ts";
import { BUSYBOX_PATH, busyboxAvailable, makeBusyboxLayout } from "../_fixtures/busybox_image.ts";
import { tempDir, tool } from "./_helpers.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DENO = join(REPO, "node_modules/.bin/deno");
const CLI = join(REPO, "cli.ts");
const USER = "bkrootless";
const isRoot = process.getuid?.() === 0;

function sh(cmd: string, args: string[]) {
  return spawnSync(cmd, args, { encoding: "utf8" });
}

interface TestUser {
  uid: number;
  gid: number;
  home: string;
  subuid: { start: number; count: number };
  subgid: { start: number; count: number };
}

/** Creates the test user and its subordinate ranges if missing (root only). */
function ensureUser(): TestUser {
  if (sh("id", ["-u", USER]).status !== 0) {
    const r = sh("useradd", ["-m", USER]);
    // Another test process may have created it meanwhile.
    if (r.status !== 0 && sh("id", ["-u", USER]).status !== 0) {
      throw new Error(`useradd -m ${USER} failed: ${r.stderr}`);
    }
  }
  const uid = Number(sh("id", ["-u", USER]).stdout.trim());
  const gid = Number(sh("id", ["-g", USER]).stdout.trim());
  const home = sh("getent", ["passwd", USER]).stdout.split(":")[5] ?? `/home/${USER}`;
  const ranges = (file: string) => {
    const text = existsSync(file) ? readFileSync(file, "utf8") : "";
    let found = parseSubIds(text, { name: USER, id: uid });
    if (found.length === 0) {
      writeFileSync(
        file,
        `${text}${text === "" || text.endsWith("\n") ? "" : "\n"}${USER}:200000:65536\n`,
      );
      found = [{ start: 200000, count: 65536 }];
    }
    return found[0]!;
  };
  return { uid, gid, home, subuid: ranges("/etc/subuid"), subgid: ranges("/etc/subgid") };
}

let user: TestUser | undefined;

/** Why the end-to-end tests cannot run here (they skip saying so), or false. */
function e2eSkipReason(): string | false {
  if (process.platform !== "linux") return "rootless builds need Linux";
  if (!isRoot) return "creating the test user needs root (run the tests as root)";
  const problem = userNamespaceProblem();
  if (problem !== undefined) return `user namespaces are forbidden on this host: ${problem}`;
  try {
    user = ensureUser();
  } catch (e) {
    return `cannot create the test user: ${(e as Error).message}`;
  }
  const probe = sh("setpriv", [
    `--reuid=${USER}`,
    `--regid=${USER}`,
    "--init-groups",
    "unshare",
    "--user",
    "--map-root-user",
    "--mount",
    "true",
  ]);
  if (probe.error !== undefined || probe.status !== 0) {
    return `an unprivileged user cannot create a user namespace here ` +
      `(unshare --user --map-root-user as ${USER}: ` +
      `${probe.error?.message ?? probe.stderr.trim()})`;
  }
  return false;
}

const SKIP = e2eSkipReason();
if (SKIP !== false) console.error(`rootless.test.ts: skipping the end-to-end tests: ${SKIP}`);

/** Fails (not skips) when a component the test needs is missing. */
function requireTools(): void {
  for (const t of ["setpriv", "newuidmap", "newgidmap", "unshare"]) {
    if (sh("sh", ["-c", `command -v ${t}`]).status !== 0) {
      assert.fail(`${t} is needed (apt-get install uidmap util-linux; scripts/bootstrap.sh)`);
    }
  }
  const rts = installedRuntimes();
  if (rts.crun === undefined && rts.runc === undefined) {
    assert.fail("crun or runc is needed (apt-get install -y crun runc)");
  }
  if (!busyboxAvailable()) {
    assert.fail(`${BUSYBOX_PATH} is needed (apt-get install busybox-static)`);
  }
}

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `deno run -A cli.ts …` as the test user. */
function runAsUser(args: string[], env: Record<string, string> = {}): CliRun {
  const u = user!;
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    HOME: u.home,
    USER,
    LOGNAME: USER,
    BUILDKIT_PROGRESS: "plain",
    ...env,
  };
  delete childEnv.TMPDIR;
  delete childEnv.XDG_CACHE_HOME;
  delete childEnv.XDG_RUNTIME_DIR;
  delete childEnv.DENO_DIR;
  delete childEnv.BUILDKIT_USERNS_CHILD;
  const start = performance.now();
  const r = spawnSync(
    "setpriv",
    [`--reuid=${USER}`, `--regid=${USER}`, "--init-groups", DENO, "run", "-A", CLI, ...args],
    { encoding: "utf8", env: childEnv, cwd: u.home },
  );
  return {
    status: r.status,
    stdout: r.stdout ?? "",
    stderr: (r.stderr ?? "") + (r.error ? String(r.error) : ""),
    ms: performance.now() - start,
  };
}

/** A directory owned by the test user. */
function userDir(parent: string, name: string): string {
  const d = join(parent, name);
  mkdirSync(d, { recursive: true });
  chownSync(d, user!.uid, user!.gid);
  return d;
}

/** Unpacks an OCI layout with umoci (as root) and returns the rootfs path. */
function unpack(layout: string, tag: string, base: string): string {
  const bundle = join(base, `bundle-${layout.split("/").pop()}-${tag}`);
  tool("umoci", ["unpack", "--image", `${layout}:${tag}`, bundle]);
  return join(bundle, "rootfs");
}

function owner(p: string): string {
  const st = statSync(p);
  return `${st.uid}:${st.gid}`;
}

describe("rootless build (unprivileged user, user namespace)", { skip: SKIP }, () => {
  let base = "";
  let busybox = "";
  let work = "";

  before(async () => {
    base = tempDir("bk-rootless-");
    chmodSync(base, 0o755);
    busybox = join(base, "busybox");
    await makeBusyboxLayout(busybox);
    work = userDir(base, "work");
  });

  after(() => {
    if (base !== "") rmSync(base, { recursive: true, force: true });
  });

  it("buildkit build as a user with /etc/subuid ranges runs RUN steps and keeps uid 1000's files", {
    timeout: 60_000,
  }, () => {
    requireTools();
    const u = user!;
    const ctx = join(base, "ctx-subid");
    mkdirSync(ctx);
    writeFileSync(join(ctx, "hello.txt"), "hello\n");
    writeFileSync(
      join(ctx, "Dockerfile"),
      [
        "FROM busybox",
        "COPY hello.txt /hello.txt",
        "COPY --chown=1000:1000 hello.txt /home/app/owned.txt",
        "RUN echo built > /built && id -u > /id-root && cat /proc/self/uid_map > /uidmap",
        "RUN --mount=type=cache,target=/cache echo x >> /cache/n && wc -l < /cache/n > /count",
        "USER app",
        "RUN id > /home/app/id && echo mine > /home/app/mine",
        "",
      ].join("\n"),
    );
    chmodSync(ctx, 0o755);
    const cache = userDir(work, "cache-subid");
    const counts: string[] = [];
    for (const [i, extra] of [[], ["--no-cache"]].entries()) {
      const out = join(work, `out-subid-${i}`);
      const r = runAsUser([
        "build",
        ...extra,
        "--build-context",
        `busybox=oci-layout://${busybox}:busybox`,
        "-o",
        `type=oci,dest=${out},tar=false,name=rootless:${i}`,
        ctx,
      ], { BUILDKIT_CACHE_DIR: cache });
      assert.equal(r.status, 0, `rootless build failed:\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /only uid\/gid 0 exist/, "a subid map, not a single one");
      console.error(`rootless build ${i} (subid map): ${Math.round(r.ms)} ms`);
      JSON.parse(tool("skopeo", ["inspect", `oci:${out}:${i}`]));
      const rootfs = unpack(out, String(i), base);
      counts.push(readFileSync(join(rootfs, "count"), "utf8").trim());
      if (i > 0) continue;
      // It ran in a user namespace where the test user is 0 and 1… are its subordinate ids.
      assert.deepEqual(parseIdMap(readFileSync(join(rootfs, "uidmap"), "utf8")), [
        { inner: 0, outer: u.uid, count: 1 },
        { inner: 1, outer: u.subuid.start, count: u.subuid.count },
      ]);
      assert.equal(readFileSync(join(rootfs, "id-root"), "utf8"), "0\n");
      assert.equal(readFileSync(join(rootfs, "built"), "utf8"), "built\n");
      assert.equal(owner(join(rootfs, "built")), "0:0");
      assert.equal(readFileSync(join(rootfs, "hello.txt"), "utf8"), "hello\n");
      assert.equal(owner(join(rootfs, "hello.txt")), "0:0");
      assert.equal(owner(join(rootfs, "home/app")), "1000:1000", "the base image's owner kept");
      assert.equal(owner(join(rootfs, "home/app/owned.txt")), "1000:1000", "COPY --chown");
      assert.equal(
        readFileSync(join(rootfs, "home/app/id"), "utf8").trim(),
        "uid=1000(app) gid=1000(app)",
      );
      assert.equal(owner(join(rootfs, "home/app/mine")), "1000:1000", "written by USER app");
      assert.equal(readFileSync(join(rootfs, "home/app/mine"), "utf8"), "mine\n");
      // The builder wrote its store as the test user, not as root.
      assert.equal(statSync(join(cache, "index.json")).uid, u.uid);
      assert.equal(statSync(join(out, "index.json")).uid, u.uid);
    }
    assert.deepEqual(counts, ["1", "2"], "the cache mount persists across builds");
  });

  it(
    "buildkit build with a single-uid map (BUILDKIT_USERNS=single) runs RUN as root and refuses other users clearly",
    { timeout: 60_000 },
    () => {
      requireTools();
      const u = user!;
      // A base without files owned by other ids: busybox from the context, owned by root.
      const ctx = join(base, "ctx-single");
      mkdirSync(join(ctx, "rootfs/bin"), { recursive: true });
      mkdirSync(join(ctx, "rootfs/tmp"), { recursive: true });
      mkdirSync(join(ctx, "rootfs/etc"), { recursive: true });
      writeFileSync(join(ctx, "rootfs/etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
      writeFileSync(join(ctx, "rootfs/etc/group"), "root:x:0:\n");
      copyFileSync(BUSYBOX_PATH, join(ctx, "rootfs/bin/busybox"));
      chmodSync(join(ctx, "rootfs/bin/busybox"), 0o755);
      for (const a of ["sh", "cat", "wc", "id"]) symlinkSync("busybox", join(ctx, "rootfs/bin", a));
      writeFileSync(
        join(ctx, "Dockerfile"),
        [
          "FROM scratch",
          "COPY rootfs/ /",
          "RUN echo ok > /ok && id -u > /id && cat /proc/self/uid_map > /uidmap",
          "RUN --network=none --mount=type=cache,target=/c echo x >> /c/n && wc -l < /c/n > /count",
          "",
        ].join("\n"),
      );
      writeFileSync(
        join(ctx, "user.Dockerfile"),
        "FROM scratch\nCOPY rootfs/ /\nUSER 1000\nRUN id\n",
      );
      spawnSync("chmod", ["-R", "a+rX", ctx]);
      const cache = userDir(work, "cache-single");
      const out = join(work, "out-single");
      const r = runAsUser(
        ["build", "-o", `type=oci,dest=${out},tar=false,name=single:1`, ctx],
        { BUILDKIT_CACHE_DIR: cache, BUILDKIT_USERNS: "single" },
      );
      assert.equal(r.status, 0, `rootless build failed:\n${r.stderr}`);
      console.error(`rootless build (single-uid map): ${Math.round(r.ms)} ms`);
      JSON.parse(tool("skopeo", ["inspect", `oci:${out}:1`]));
      const rootfs = unpack(out, "1", base);
      assert.deepEqual(parseIdMap(readFileSync(join(rootfs, "uidmap"), "utf8")), [
        { inner: 0, outer: u.uid, count: 1 },
      ]);
      assert.equal(readFileSync(join(rootfs, "ok"), "utf8"), "ok\n");
      assert.equal(readFileSync(join(rootfs, "id"), "utf8"), "0\n");
      assert.equal(owner(join(rootfs, "ok")), "0:0");
      assert.equal(readFileSync(join(rootfs, "count"), "utf8").trim(), "1");

      const bad = runAsUser(
        [
          "build",
          "-f",
          join(ctx, "user.Dockerfile"),
          "-o",
          `type=local,dest=${join(work, "x")}`,
          ctx,
        ],
        { BUILDKIT_CACHE_DIR: cache, BUILDKIT_USERNS: "single" },
      );
      assert.equal(bad.status, 1, bad.stderr);
      assert.match(
        bad.stderr,
        /cannot run as 1000 \(uid 1000\) in the rootless build.s user namespace, which maps only uids 0/,
      );
      assert.match(bad.stderr, /\/etc\/subuid/);

      // A base image with files of another id (the fixture's /home/app is 1000:1000):
      // in a single map they become root's, with a warning, and the build succeeds.
      const ctx2 = join(base, "ctx-single-squash");
      mkdirSync(ctx2, { recursive: true });
      writeFileSync(join(ctx2, "Dockerfile"), "FROM busybox\nRUN ls -ln /home > /home-owners\n");
      spawnSync("chmod", ["-R", "a+rX", ctx2]);
      const out2 = join(work, "out-single-squash");
      const sq = runAsUser(
        [
          "build",
          "--progress=plain",
          "--build-context",
          `busybox=oci-layout://${busybox}:busybox`,
          "-o",
          `type=local,dest=${out2}`,
          ctx2,
        ],
        { BUILDKIT_CACHE_DIR: userDir(work, "cache-single-squash"), BUILDKIT_USERNS: "single" },
      );
      assert.equal(
        sq.status,
        0,
        `single-map build of a base with other owners failed:\n${sq.stderr}`,
      );
      assert.match(sq.stderr, /uid 1000.*given to root/);
      assert.match(readFileSync(join(out2, "home-owners"), "utf8"), /\s0\s+0\s.*app/);
    },
  );

  it(
    "buildkit build without a user namespace (BUILDKIT_USERNS=off) fails its RUN step saying why",
    { timeout: 60_000 },
    () => {
      requireTools();
      const ctx = join(base, "ctx-off");
      mkdirSync(ctx);
      writeFileSync(join(ctx, "Dockerfile"), "FROM busybox\nRUN true\n");
      chmodSync(ctx, 0o755);
      const r = runAsUser([
        "build",
        "--build-context",
        `busybox=oci-layout://${busybox}:busybox`,
        "-o",
        `type=local,dest=${join(work, "off")}`,
        ctx,
      ], { BUILDKIT_CACHE_DIR: userDir(work, "cache-off"), BUILDKIT_USERNS: "off" });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /RUN steps need root or a user namespace.*BUILDKIT_USERNS=off/s);
    },
  );
});

describe("user namespace helpers", () => {
  it("parseIdMap() reads /proc/<pid>/uid_map lines", () => {
    assert.deepEqual(
      parseIdMap("         0       1000          1\n         1     100000      65536\n"),
      [
        { inner: 0, outer: 1000, count: 1 },
        { inner: 1, outer: 100000, count: 65536 },
      ],
    );
    assert.deepEqual(parseIdMap(""), []);
  });

  it("parseSubIds() keeps the user's ranges, by name or by uid", () => {
    const text = "# comment\nalice:100000:65536\nbob:165536:65536\n1001:300000:10\nbad line\n";
    assert.deepEqual(parseSubIds(text, { name: "bob", id: 1001 }), [
      { start: 165536, count: 65536 },
      { start: 300000, count: 10 },
    ]);
    assert.deepEqual(parseSubIds(text, { name: "carol", id: 7 }), []);
  });

  it("buildIdMap() maps 0 to the user and 1… to the subordinate ranges", () => {
    assert.deepEqual(
      buildIdMap(1000, [{ start: 100000, count: 65536 }, { start: 300000, count: 5 }]),
      [
        { inner: 0, outer: 1000, count: 1 },
        { inner: 1, outer: 100000, count: 65536 },
        { inner: 65537, outer: 300000, count: 5 },
      ],
    );
    assert.deepEqual(buildIdMap(1000, []), [{ inner: 0, outer: 1000, count: 1 }]);
  });

  it("isIdMapped() and ownerInNamespace() map ids missing from a single map to 0", () => {
    const single = { uid: buildIdMap(1000, []), gid: buildIdMap(1000, []) };
    assert.equal(isIdMapped(0, single.uid), true);
    assert.equal(isIdMapped(1000, single.uid), false);
    const squashed = new Set<string>();
    assert.deepEqual(ownerInNamespace(1000, 0, { maps: single, squashed }), { uid: 0, gid: 0 });
    assert.deepEqual([...squashed], ["uid 1000"]);
    const full = { uid: buildIdMap(1000, [{ start: 1e5, count: 65536 }]), gid: single.gid };
    assert.deepEqual(ownerInNamespace(1000, 5, { maps: full }), { uid: 1000, gid: 0 });
  });

  it("rootlessIdMaps() falls back to a single map, saying why, when the user has no range", () => {
    const dir = tempDir("bk-subid-");
    writeFileSync(join(dir, "subuid"), "someone-else:100000:65536\n");
    writeFileSync(join(dir, "subgid"), "someone-else:100000:65536\n");
    const files = { subuidFile: join(dir, "subuid"), subgidFile: join(dir, "subgid") };
    const m = rootlessIdMaps("auto", files);
    assert.equal(m.mode, "single");
    assert.match(m.note ?? "", /no range for .* in \/etc\/subuid/);
    assert.throws(() => rootlessIdMaps("subid", files), /cannot map subordinate ids/);
  });

  it("userNamespaceProblem() names the sysctl that forbids user namespaces", () => {
    const fake = (values: Record<string, string>) => ({
      readFile: (p: string) => values[p],
    });
    assert.match(
      userNamespaceProblem(fake({ "/proc/sys/user/max_user_namespaces": "0\n" })) ?? "",
      /user\.max_user_namespaces=0/,
    );
    assert.match(
      userNamespaceProblem(fake({ "/proc/sys/kernel/unprivileged_userns_clone": "0\n" })) ?? "",
      /kernel\.unprivileged_userns_clone=0/,
    );
    assert.equal(
      userNamespaceProblem(fake({ "/proc/sys/user/max_user_namespaces": "15000\n" })),
      undefined,
    );
  });

  it("selfCommand() starts the same script again with the same runtime", () => {
    const c = selfCommand(["build", "."]);
    assert.equal(c.cmd, process.execPath);
    assert.deepEqual(c.args.slice(-2), ["build", "."]);
    if ("Deno" in globalThis) assert.deepEqual(c.args.slice(0, 2), ["run", "-A"]);
  });

  it("generateSpec() in a user namespace binds /sys without a network namespace and drops cgroupfs", () => {
    const base = { network: "host" as const, security: "sandbox" as const, rlimits: [] };
    const files = { hostsFile: "/h", resolvConfFile: "/r" };
    const spec = generateSpec(
      { args: ["true"], env: [], cwd: "/", uid: 0, gid: 0 },
      { ...base, ...files, userNamespace: { ownNetwork: false, ttyGroup: false } },
    );
    const sys = spec.mounts.find((m) => m.destination === "/sys");
    assert.equal(sys?.type, "bind");
    assert.equal(sys?.source, "/sys");
    assert.ok(sys?.options?.includes("ro"));
    assert.ok(!spec.mounts.some((m) => m.destination === "/sys/fs/cgroup"));
    const pts = spec.mounts.find((m) => m.destination === "/dev/pts");
    assert.ok(!pts?.options?.some((o) => o.startsWith("gid=")), "gid 5 is not mapped");
    assert.equal(spec.linux.cgroupsPath, undefined);
    const own = defaultMounts({
      insecure: false,
      userNamespace: { ownNetwork: true, ttyGroup: true },
    });
    assert.equal(own.find((m) => m.destination === "/sys")?.type, "sysfs");
    assert.ok(own.find((m) => m.destination === "/dev/pts")?.options?.includes("gid=5"));
    // Outside a user namespace nothing changes.
    assert.ok(defaultMounts({ insecure: false }).some((m) => m.destination === "/sys/fs/cgroup"));
  });
});
