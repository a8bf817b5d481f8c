// Copyright 2026 the buildkit-ts authors. MIT license.

import type { Runtime } from "../runtime/mod.ts";
import { parseArgs } from "../runtime/mod.ts";
import { reexecInUserNamespace } from "../runtime/mod.ts";
import { suggest } from "../util/mod.ts";
import { parseBuildOptions, usageFromParseArgs } from "./build_options.ts";
import { NotImplementedError, UsageError } from "./errors.ts";
import { planBuild, readDockerfileArg } from "./plan.ts";
import { buildCommand } from "./build_command.ts";
import { cacheMountsCommand } from "./cache_mounts_command.ts";
import { loginCommand, logoutCommand } from "./login_command.ts";
import { duCommand, imagesCommand, pruneCommand, rmiCommand } from "./store_commands.ts";
import { renderError } from "./render_error.ts";
import { VERSION } from "./version.ts";
import { astToJson, dumpAst, parseDockerfile } from "../dockerfile/mod.ts";
import { definitionToJson } from "../llb/mod.ts";

const HELP = `Usage: buildkit COMMAND [OPTIONS]

A container image builder: Dockerfile (or build graph) in, OCI image out.

Commands:
  build [OPTIONS] CONTEXT        Build from a Dockerfile (flags as "docker buildx build")
  debug dump-ast [--format=buildkit|json] FILE
                                 Print the Dockerfile's parse tree
  debug llb [build options] CONTEXT
                                 Print the build graph as JSON with vertex digests
  images [-q]                    List the images of the image store
  rmi NAME...                    Remove image names from the image store
  du [-v]                        Show the disk usage of the store
  prune [--all] [--keep-storage SIZE] [--filter until=DURATION]
                                 Remove build cache
  cache-mounts ls|export FILE|import FILE|rm [--id ID]...
                                 Move RUN --mount=type=cache contents between machines
  login [-u USER] [--password-stdin] [REGISTRY]
                                 Save registry credentials (docker's config.json)
  logout [REGISTRY]              Remove them
  version                        Print the version

Every command takes --cache-dir DIR (default: $BUILDKIT_CACHE_DIR, then
$XDG_CACHE_HOME/buildkit or ~/.cache/buildkit).

Global options:
  -h, --help       Show help
  -v, --version    Print the version
`;

const BUILD_HELP = `Usage: buildkit build [OPTIONS] CONTEXT

Options:
  -f, --file string             Name of the Dockerfile ("-" reads standard input; default: CONTEXT/Dockerfile)
      --build-arg stringArray   Set build-time variables (NAME=VALUE, or NAME to take it from the environment)
      --target string           Set the target build stage to build
      --platform stringArray    Set target platform(s) for the build (comma lists allowed)
      --build-context stringArray
                                Additional build contexts (NAME=SOURCE)
  -t, --tag stringArray         Name and optionally a tag (format: "name:tag")
  -o, --output stringArray      Output destination (format: "type=local,dest=path")
      --progress string         auto, plain, tty, rawjson or quiet (env BUILDKIT_PROGRESS)
      --no-cache                Do not use cache when building the image
      --no-cache-filter stringArray
                                Do not cache specified stages
      --label stringArray       Set metadata for an image
      --annotation stringArray  Add a manifest annotation (KEY=VALUE)
      --iidfile string          Write the image ID to the file
      --metadata-file string    Write build result metadata to the file
      --cache-dir string        The store (default: $BUILDKIT_CACHE_DIR, then ~/.cache/buildkit)
  -j, --jobs int                Steps run at once (default: the number of cores)
  -q, --quiet                   Suppress the build output and print the image ID on success
      --secret stringArray      Secret for RUN --mount=type=secret (id=X,src=FILE or id=X,env=VAR)
      --ssh stringArray         SSH agent socket for RUN --mount=type=ssh (default or ID=SOCKET)
      --allow stringArray       Entitlements: network.host, security.insecure
      --oci-runtime string      crun or runc to run RUN steps (default: on PATH, crun preferred)
      --push                    Push the image to the registry of each -t name (= -o type=registry)
      --load                    Load the image into the Docker daemon (= -o type=docker)
      --pull                    Resolve base image tags again (default: reuse a tag pulled < 24 h ago)
      --cache-to stringArray    Export the build cache: type=registry,ref=REF[,mode=min|max],
                                type=local,dest=DIR, type=inline
      --cache-from stringArray  Import a build cache: type=registry,ref=REF, type=local,src=DIR
      --insecure-registry stringArray
                                Allow plain HTTP / untrusted TLS for this registry (also
                                $BUILDKIT_INSECURE_REGISTRIES); localhost is always allowed

Outputs (-o): type=oci,dest=FILE.tar|DIR[,tar=false] · type=docker,dest=FILE.tar ·
type=local,dest=DIR · type=tar,dest=FILE · DIR (local) · - (tar to stdout);
image options: compression=gzip|zstd|uncompressed, compression-level=N,
oci-mediatypes=BOOL, rewrite-timestamp=true, annotation.KEY=VALUE, name=NAME.
Without -o the image goes to the image store under the -t names.
SOURCE_DATE_EPOCH (environment or --build-arg) makes the image reproducible.
`;

const COMMANDS = [
  "build",
  "debug",
  "images",
  "rmi",
  "du",
  "prune",
  "cache-mounts",
  "version",
  "help",
];

/**
 * Runs the command line and returns the process exit status:
 * 0 success, 1 build or input failure, 2 usage error, 3 not implemented yet.
 */
export async function main(args: string[], rt: Runtime): Promise<number> {
  try {
    // Rootless: `build` by a non-root user re-runs itself in a user namespace where it is root.
    const code = await reexecInUserNamespace(args, { warn: (t) => rt.writeStderr(t) });
    if (code !== undefined) return code;
    return await dispatch(args, rt);
  } catch (err) {
    rt.writeStderr(renderError(err));
    if (err instanceof UsageError) return 2;
    if (err instanceof NotImplementedError) return 3;
    return 1;
  }
}

async function dispatch(args: string[], rt: Runtime): Promise<number> {
  const [cmd, ...rest] = args;
  if (cmd === undefined || cmd === "help" || cmd === "-h" || cmd === "--help") {
    rt.writeStdout(HELP);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === "--version" || cmd === "-v" || cmd === "version") {
    rt.writeStdout(`buildkit ${VERSION} (${rt.name} ${rt.version})\n`);
    return 0;
  }
  switch (cmd) {
    case "build":
      return await build(rest, rt);
    case "debug":
      return await debug(rest, rt);
    case "images":
      return await imagesCommand(rest, rt);
    case "rmi":
      return await rmiCommand(rest, rt);
    case "du":
      return await duCommand(rest, rt);
    case "prune":
      return await pruneCommand(rest, rt);
    case "cache-mounts":
      return await cacheMountsCommand(rest, rt);
    case "login":
      return await loginCommand(rest, rt);
    case "logout":
      return await logoutCommand(rest, rt);
  }
  const hint = suggest(cmd, COMMANDS);
  throw new UsageError(
    `unknown command: ${cmd}${
      hint ? ` (did you mean ${hint}?)` : ""
    }\nRun 'buildkit --help' for usage.`,
  );
}

async function build(args: string[], rt: Runtime): Promise<number> {
  const opts = parseBuildOptions(args, { env: (k) => rt.env(k) });
  if (opts.help) {
    rt.writeStdout(BUILD_HELP);
    return 0;
  }
  return await buildCommand(opts, rt);
}

async function debug(args: string[], rt: Runtime): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "dump-ast") return await dumpAstCommand(rest, rt);
  if (sub === "llb") {
    const opts = parseBuildOptions(rest, { env: (k) => rt.env(k) });
    if (opts.help) {
      rt.writeStdout(BUILD_HELP.replace("buildkit build", "buildkit debug llb"));
      return 0;
    }
    const plan = await planBuild(opts, rt);
    rt.writeStdout(definitionToJson(plan.definition) + "\n");
    return 0;
  }
  const hint = sub === undefined ? undefined : suggest(sub, ["dump-ast", "llb"]);
  throw new UsageError(
    `${sub === undefined ? "missing" : `unknown`} debug command${sub ? `: ${sub}` : ""}` +
      `${hint ? ` (did you mean ${hint}?)` : ""}; expected "dump-ast" or "llb"`,
  );
}

async function dumpAstCommand(args: string[], rt: Runtime): Promise<number> {
  let parsed;
  const options = { format: { type: "string" }, help: { type: "boolean", short: "h" } } as const;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageFromParseArgs(err, ["format", "help"]);
  }
  if (parsed.values.help) {
    rt.writeStdout("Usage: buildkit debug dump-ast [--format=buildkit|json] FILE\n");
    return 0;
  }
  const format = parsed.values.format ?? "buildkit";
  if (format !== "buildkit" && format !== "json") {
    throw new UsageError(`invalid --format "${format}" (expected buildkit or json)`);
  }
  if (parsed.positionals.length !== 1) {
    throw new UsageError(
      `"buildkit debug dump-ast" requires exactly 1 argument (the Dockerfile, or - for stdin)`,
    );
  }
  const { name, data } = await readDockerfileArg(parsed.positionals[0]!, rt);
  const result = parseDockerfile(data, { file: name });
  if (format === "json") rt.writeStdout(JSON.stringify(astToJson(result), null, 2) + "\n");
  else rt.writeStdout(dumpAst(result.ast) + "\n");
  return 0;
}
