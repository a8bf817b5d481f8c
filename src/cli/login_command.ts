// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * `buildkit login [-u USER] [-p PASS | --password-stdin] [REGISTRY]` and
 * `buildkit logout [REGISTRY]`: credentials in `$DOCKER_CONFIG/config.json` (or
 * `~/.docker/config.json`) exactly where docker keeps them, through a credential helper
 * when the file names one. Login checks the credentials against the registry first.
 *
 * @module
 */

import {
  registryApiHost,
  RegistryClient,
  removeCredentials,
  saveCredentials,
} from "../registry/mod.ts";
import { parseArgs, type Runtime } from "../runtime/mod.ts";
import { usageFromParseArgs } from "./build_options.ts";
import { UsageError } from "./errors.ts";

const DEFAULT_REGISTRY = "docker.io";

/** `buildkit login`. */
export async function loginCommand(args: string[], rt: Runtime): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        username: { type: "string", short: "u" },
        password: { type: "string", short: "p" },
        "password-stdin": { type: "boolean" },
        "insecure-registry": { type: "boolean" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw usageFromParseArgs(err, ["username", "password", "password-stdin", "insecure-registry"]);
  }
  const v = parsed.values;
  if (parsed.positionals.length > 1) {
    throw new UsageError(`"buildkit login" takes at most 1 argument (the registry)`);
  }
  const domain = parsed.positionals[0] ?? DEFAULT_REGISTRY;
  if (v.username === undefined) throw new UsageError("login needs -u USERNAME");
  let password = v.password;
  if (v["password-stdin"]) {
    if (password !== undefined) {
      throw new UsageError("--password and --password-stdin are mutually exclusive");
    }
    password = new TextDecoder().decode(await rt.readStdin()).replace(/\r?\n$/, "");
  } else if (password !== undefined) {
    rt.writeStderr("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
  }
  if (password === undefined || password === "") {
    throw new UsageError("login needs a password (--password-stdin)");
  }
  const client = new RegistryClient(domain, {
    credentials: { username: v.username, password },
    ...(v["insecure-registry"] ? { insecureRegistries: [domain] } : {}),
  });
  // Check the credentials: an authenticated GET /v2/ must not be refused.
  const { baseUrl } = await client.ping();
  const authorization = await client.auth.authorization([]);
  const res = await fetch(`${baseUrl}/v2/`, {
    headers: authorization ? { Authorization: authorization } : {},
  });
  await res.body?.cancel();
  if (res.status === 401 || res.status === 403) {
    rt.writeStderr(
      `Error response from ${
        registryApiHost(domain)
      }: unauthorized: incorrect username or password\n`,
    );
    return 1;
  }
  const file = await saveCredentials(domain, { username: v.username, password });
  rt.writeStdout(`Login Succeeded (credentials in ${file})\n`);
  return 0;
}

/** `buildkit logout`. */
export async function logoutCommand(args: string[], rt: Runtime): Promise<number> {
  if (args.length > 1) {
    throw new UsageError(`"buildkit logout" takes at most 1 argument (the registry)`);
  }
  const domain = args[0] ?? DEFAULT_REGISTRY;
  if (await removeCredentials(domain)) rt.writeStdout(`Removing login credentials for ${domain}\n`);
  else rt.writeStdout(`Not logged in to ${domain}\n`);
  return 0;
}
