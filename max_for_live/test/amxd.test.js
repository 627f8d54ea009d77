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

// ----------------------------------------------------------------------------------------------
// The frozen device (dist/patchflow_frozen.amxd): the scripts embedded, as Max freezes a device

/** Read a frozen ptch with the byte layout of Ableton's maxdevtools (frozen_device_printer.py,
 * freezing_utils.py), written out here independently of build.js's own reader. */
function readFrozenLikeMaxdiff(amxd) {
  assert.equal(amxd.toString("ascii", 24, 28), "ptch");
  const data = amxd.subarray(32, 32 + amxd.readUInt32LE(28));
  assert.equal(data.toString("ascii", 0, 4), "mx@c");
  const footerAt = Number(data.readBigUInt64BE(8)); // "data size int is 64 bit"
  const footer = data.subarray(footerAt);
  assert.equal(footer.toString("ascii", 0, 4), "dlst");
  assert.equal(footer.readUInt32BE(4), footer.length, "recorded size matches actual size");
  const entries = [];
  let rest = footer.subarray(8);
  while (rest.length && rest.toString("ascii", 0, 4) === "dire") {
    const size = rest.readUInt32BE(4);
    let f = rest.subarray(8, size);
    const fields = {};
    const order = [];
    while (f.length >= 12) {
      const type = f.toString("ascii", 0, 4);
      const fsize = f.readUInt32BE(4);
      const body = f.subarray(8, fsize);
      order.push(type);
      fields[type] = type === "type" || type === "fnam" ? body.toString("ascii").replace(/\0+$/, "") : body.readUInt32BE(0);
      f = f.subarray(fsize);
    }
    fields.order = order;
    fields.data = data.subarray(fields.of32, fields.of32 + fields.sz32);
    entries.push(fields);
    rest = rest.subarray(size);
  }
  return entries;
}

test("the frozen device embeds the patcher and both scripts in Max's frozen layout", () => {
  const entries = readFrozenLikeMaxdiff(A.frozen);
  assert.equal(A.frozen.toString("ascii", 8, 12), "aaaa");
  assert.deepEqual(entries.map((e) => [e.type, e.fnam, e.flag]), [
    ["JSON", "patchflow.amxd", 17], ["TEXT", "patchflow_device.js", 0], ["TEXT", "patchflow_server.js", 8],
  ]);
  for (const e of entries) {
    assert.deepEqual(e.order, ["type", "fnam", "sz32", "of32", "vers", "flag", "mdat"]);
  }
  assert.equal(entries[0].of32, 16, "the first file follows the 16-byte header");
  assert.equal(entries[1].of32, entries[0].of32 + entries[0].sz32, "files back to back");
  const device = entries[0].data;
  assert.equal(device[device.length - 1], 0);
  assert.deepEqual(JSON.parse(device.subarray(0, device.length - 1).toString("utf8")), A.doc);
  assert.equal(entries[1].data.toString("utf8"), A.bundle);
  assert.equal(entries[2].data.toString("utf8"), A.server);
  // the embedded names are the ones the patcher's js and node.script boxes load
  const texts = A.doc.patcher.boxes.map((b) => b.box.text || "");
  assert.ok(texts.some((t) => t.startsWith("js patchflow_device.js ")));
  assert.ok(texts.some((t) => t.startsWith("node.script patchflow_server.js")));
  // and build.js reads it back
  const decoded = build.decodeAmxd(A.frozen);
  assert.equal(decoded.frozen, true);
  assert.deepEqual(decoded.doc, A.doc);
});

test("build.js --check fails when a dist/ file is stale or missing", () => {
  const os = require("node:os");
  const path = require("node:path");
  const { spawnSync } = require("node:child_process");
  const root = path.join(__dirname, "..");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pf-check-"));
  try {
    for (const dir of ["src", "dist"]) {
      fs.mkdirSync(path.join(tmp, dir));
      for (const f of fs.readdirSync(path.join(root, dir))) {
        fs.copyFileSync(path.join(root, dir, f), path.join(tmp, dir, f));
      }
    }
    fs.copyFileSync(path.join(root, "build.js"), path.join(tmp, "build.js"));
    fs.copyFileSync(path.join(root, "patchflow.maxpat"), path.join(tmp, "patchflow.maxpat"));
    const check = () => spawnSync(process.execPath, ["build.js", "--check"], { cwd: tmp, encoding: "utf8" });
    assert.equal(check().status, 0, "a fresh copy is current");
    fs.appendFileSync(path.join(tmp, "src", "patchflow_server.js"), "\n// edited\n");
    let r = check();
    assert.equal(r.status, 1);
    assert.match(r.stderr, /out of date: .*dist\/patchflow_server.js.*dist\/patchflow_frozen.amxd/);
    fs.rmSync(path.join(tmp, "dist", "patchflow_frozen.amxd"));
    spawnSync(process.execPath, ["build.js"], { cwd: tmp });
    assert.equal(check().status, 0);
    fs.rmSync(path.join(tmp, "dist", "patchflow_device.js"));
    r = check();
    assert.equal(r.status, 1);
    assert.match(r.stderr, /patchflow_device.js \(missing\)/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
