// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * One-time host preparation for running RUN steps, called by scripts/bootstrap.sh as
 * root: on hybrid cgroup hosts where cgroup2 holds controllers (here: hugetlb), crun
 * refuses to start until they are mounted as v1 hierarchies. Prints what it did.
 *
 * @module
 */

import { crunCgroupProblem, prepareCgroupsForCrun } from "../src/worker/mod.ts";

const problem = crunCgroupProblem();
if (problem === undefined) {
  console.log("prepare_host: nothing to do");
} else {
  const mounted = prepareCgroupsForCrun();
  console.log(
    `prepare_host: mounted cgroup v1 hierarchies for crun: ${mounted.join(", ") || "none"}`,
  );
}
