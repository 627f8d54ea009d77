"use strict";
// The .amxd container: chunk layout, and that the built device parses back to the same JSON as
// the committed patchflow.maxpat.

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const build = require("../build.js");
const { mappingFromSpec } = require("../tools/mapping_from_spec.js");

const A = build.artefacts();

test("the build has no patcher errors", () => {
  assert.deepEqual(A.errors, []);
});

test("an .amxd is ampf 'aaaa', meta 1, then ptch with the tab-indented JSON, a newline and a NUL", () => {
  const bytes = A.amxd;
  assert.equal(bytes.toString("ascii", 0, 4), "ampf");
  assert.equal(bytes.readUInt32LE(4), 4);
  assert.equal(bytes.toString("ascii", 8, 12), "aaaa");
  assert.equal(bytes.toString("ascii", 12, 16), "meta");
  assert.equal(bytes.readUInt32LE(16), 4);
  assert.equal(bytes.readUInt32LE(20), 1);
  assert.equal(bytes.toString("ascii", 24, 28), "ptch");
  const size = bytes.readUInt32LE(28);
  assert.equal(32 + size, bytes.length);
  const body = bytes.subarray(32);
  assert.equal(body[body.length - 1], 0);
  assert.equal(body[body.length - 2], 0x0a);
  assert.equal(body.toString("utf8", 0, 14), "{\n\t\"patcher\": ");
});

test("the built .amxd parses back to the same JSON as patchflow.maxpat", () => {
  const decoded = build.decodeAmxd(A.amxd);
  assert.equal(decoded.type, "aaaa");
  assert.equal(decoded.meta, 1);
  assert.deepEqual(decoded.chunkOrder, ["ampf", "meta", "ptch"]);
  const maxpat = JSON.parse(fs.readFileSync(build.MAXPAT_PATH, "utf8"));
  assert.deepEqual(decoded.doc, maxpat);
  assert.equal(decoded.text, A.maxpat);
});

test("the committed dist/ files, when present, are the current build", (t) => {
  if (!fs.existsSync(build.AMXD_PATH)) {
    t.skip("dist/patchflow.amxd not built (run node build.js)");
    return;
  }
  const onDisk = fs.readFileSync(build.AMXD_PATH);
  assert.ok(onDisk.equals(A.amxd), "dist/patchflow.amxd is stale: run node build.js");
  assert.deepEqual(build.decodeAmxd(onDisk).doc, JSON.parse(fs.readFileSync(build.MAXPAT_PATH, "utf8")));
  assert.equal(fs.readFileSync(build.BUNDLE_PATH, "utf8"), A.bundle);
});

test("decodeAmxd ignores stale bytes after the NUL (older Max) and refuses frozen devices", () => {
  const withGarbage = Buffer.concat([A.amxd.subarray(0, 28), Buffer.alloc(4), A.amxd.subarray(32), Buffer.from("}garbage")]);
  withGarbage.writeUInt32LE(A.amxd.length - 32 + 8, 28);
  assert.deepEqual(build.decodeAmxd(withGarbage).doc, A.doc);
  const frozen = Buffer.concat([A.amxd.subarray(0, 24), Buffer.from("ptch"), Buffer.alloc(4), Buffer.from("mx@c....")]);
  frozen.writeUInt32LE(8, 28);
  assert.throws(() => build.decodeAmxd(frozen), /frozen/);
  assert.throws(() => build.decodeAmxd(Buffer.from("nope")), /not an .amxd/);
  const truncated = A.amxd.subarray(0, 100);
  assert.throws(() => build.decodeAmxd(truncated), /runs past the end/);
});

test("encodeAmxd writes other device types", () => {
  const midi = build.encodeAmxd({ patcher: { boxes: [], lines: [] } }, "mmmm");
  assert.equal(build.decodeAmxd(midi).type, "mmmm");
});

test("the bundle is the core followed by the device script", () => {
  const core = fs.readFileSync(`${__dirname}/../src/patchflow_core.js`, "utf8").trimEnd();
  const device = fs.readFileSync(`${__dirname}/../src/patchflow_device.js`, "utf8").trimEnd();
  assert.ok(A.bundle.indexOf(core) > 0);
  assert.ok(A.bundle.indexOf(device) > A.bundle.indexOf(core));
});

test("mapping_from_spec writes plugin names and raw ranges from a spec", () => {
  const spec = {
    synth: "surge_simple",
    params: [
      { name: "amp_attack_s", plugin_name: "A Amp EG Attack", raw_range: [0, 0.77] },
      { name: "filter1_cutoff", plugin_name: "A Filter 1 Cutoff" },
      { name: "osc1_width" },
      { name: "pitch", note_field: "pitch", plugin_name: "ignored" },
    ],
  };
  assert.deepEqual(mappingFromSpec(spec), {
    amp_attack_s: { live: "A Amp EG Attack", range: [0, 0.77] },
    filter1_cutoff: "A Filter 1 Cutoff",
  });
  assert.throws(() => mappingFromSpec({}), /no "params"/);
});
