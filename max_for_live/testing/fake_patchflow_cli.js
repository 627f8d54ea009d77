#!/usr/bin/env node
/*
 * A stand-in for the `patchflow` command, for the node script's process tests (a real child
 * process): `fake_patchflow_cli.js serve [--die-after MS] [--fail] [...any serve flags]`.
 * Prints a start line and a line per second, exits 0 on SIGTERM, exits 3 after --die-after ms,
 * or exits 2 at once with an error line when --fail is given.
 */
"use strict";

const args = process.argv.slice(2);
if (args[0] !== "serve") {
  process.stderr.write("usage: patchflow serve ...\n");
  process.exit(2);
}
if (args.includes("--fail")) {
  process.stderr.write("error: model 'nope' not found\n");
  process.exit(2);
}
process.stdout.write(`fake patchflow serve ${args.slice(1).join(" ")}\n`);
process.stdout.write("ready: listening for OSC\n");
let n = 0;
const tick = setInterval(() => {
  n += 1;
  process.stdout.write(`status: ${n} s\n`);
}, 1000);
const dieAt = args.indexOf("--die-after");
if (dieAt >= 0) {
  setTimeout(() => {
    process.stderr.write("crashed on purpose\n");
    process.exit(3);
  }, Number(args[dieAt + 1]));
}
process.on("SIGTERM", () => {
  clearInterval(tick);
  process.stdout.write("stopping\n");
  process.exit(0);
});
