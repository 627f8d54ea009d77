"use strict";
// Pure logic of the device: scaling, snapping, name matching, throttling, OSC layout, chunking,
// WAV header, paths, state and mapping files.

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const PF = require("../src/patchflow_core.js");
const { readWav } = require("../testing/max_env.js");

test("scaleToLive maps 0..1 onto the parameter's own range", () => {
  const cutoff = { min: 20, max: 20000, quantized: false };
  assert.equal(PF.scaleToLive(0, cutoff), 20);
  assert.equal(PF.scaleToLive(1, cutoff), 20000);
  assert.equal(PF.scaleToLive(0.5, cutoff), 10010);
  const bipolar = { min: -1, max: 1, quantized: false };
  assert.equal(PF.scaleToLive(0.25, bipolar), -0.5);
});

test("scaleToLive clamps out-of-range model values and refuses non-numbers", () => {
  const p = { min: 0, max: 10, quantized: false };
  assert.equal(PF.scaleToLive(-0.3, p), 0);
  assert.equal(PF.scaleToLive(7, p), 10);
  assert.equal(PF.scaleToLive(NaN, p), null);
  assert.equal(PF.scaleToLive(undefined, p), null);
  assert.equal(PF.scaleToLive(Infinity, p), null);
});

test("quantized parameters are snapped to whole steps inside min..max", () => {
  const wave = { min: 0, max: 4, quantized: true }; // five waveforms
  assert.deepEqual([0, 0.1, 0.124, 0.126, 0.5, 0.87, 1].map((v) => PF.scaleToLive(v, wave)), [0, 0, 0, 1, 2, 3, 4]);
  const octave = { min: -3, max: 3, quantized: true };
  assert.equal(PF.scaleToLive(0.5, octave), 0);
  assert.equal(PF.scaleToLive(0.99, octave), 3);
  for (let k = 0; k <= 100; k++) {
    const v = PF.scaleToLive(k / 100, octave);
    assert.ok(Number.isInteger(v) && v >= -3 && v <= 3, `${k / 100} -> ${v}`);
  }
});

test("a categorical choice index survives the round trip through a Live menu", () => {
  // the server sends index / (n - 1); a Live menu with the same n items takes index back
  for (const n of [2, 3, 5, 11]) {
    const menu = { min: 0, max: n - 1, quantized: true };
    for (let index = 0; index < n; index++) {
      assert.equal(PF.scaleToLive(index / (n - 1), menu), index);
    }
  }
});

test("snapToParam and liveToUnit", () => {
  assert.equal(PF.snapToParam(12, { min: 0, max: 10, quantized: false }), 10);
  assert.equal(PF.snapToParam(2.6, { min: 0, max: 10, quantized: true }), 3);
  assert.equal(PF.liveToUnit(15, { min: 10, max: 20 }), 0.5);
  assert.equal(PF.liveToUnit(5, { min: 5, max: 5 }), 0);
});

test("tokenize normalises case, separators, camelCase, digits and abbreviations", () => {
  assert.deepEqual(PF.tokenize("A Osc 1 Pitch"), ["a", "osc", "1", "pitch"]);
  assert.deepEqual(PF.tokenize("osc1_pitch"), ["osc", "1", "pitch"]);
  assert.deepEqual(PF.tokenize("Oscillator01Pitch"), ["osc", "1", "pitch"]);
  assert.deepEqual(PF.tokenize("Filter-Env Attack"), ["filter", "env", "attack"]);
  assert.deepEqual(PF.tokenize("flt_res"), ["filter", "res"]);
  assert.deepEqual(PF.tokenize("  "), []);
  assert.equal(PF.normaliseName("AMP EG: Release"), "amp env release");
});

test("matchNames pairs names through exact, normalised, token and prefix stages", () => {
  const model = ["cutoff", "osc1_pitch", "filter_res", "amp_eg_attack", "lfo1 rate", "noise"];
  const live = [
    { name: "Device On" },
    { name: "A Osc 1 Pitch" },
    { name: "Resonance Filter" },
    { name: "cutoff" },
    { name: "A Amp EG Attack" },
    { name: "LFO 1 Rate" },
    { name: "Volume" },
  ];
  const r = PF.matchNames(model, live, {});
  const got = Object.fromEntries(r.pairs.map((p) => [p.modelName, [p.live.name, p.how]]));
  assert.deepEqual(got, {
    cutoff: ["cutoff", "exact"],
    osc1_pitch: ["A Osc 1 Pitch", "tokens-no-prefix"],
    filter_res: ["Resonance Filter", "tokens"],
    amp_eg_attack: ["A Amp EG Attack", "tokens-no-prefix"],
    "lfo1 rate": ["LFO 1 Rate", "normalised"],
  });
  assert.deepEqual(r.unmatched, ["noise"]);
  assert.ok(r.unusedLive.includes("Device On"));
  assert.ok(r.unusedLive.includes("Volume"));
  // pairs come back in spec order
  assert.deepEqual(r.pairs.map((p) => p.modelIndex), [0, 1, 2, 3, 4]);
});

test("matchNames: the editable mapping wins, and \"\" keeps a parameter unmapped", () => {
  const model = ["cutoff", "resonance", "drive"];
  const live = [{ name: "Cutoff" }, { name: "Resonance" }, { name: "Filter Drive" }, { name: "Freq" }];
  const r = PF.matchNames(model, live, { cutoff: "Freq", resonance: "" });
  const got = Object.fromEntries(r.pairs.map((p) => [p.modelName, [p.live.name, p.how]]));
  assert.deepEqual(got, { cutoff: ["Freq", "mapping"] });
  assert.deepEqual(r.unmatched, ["resonance", "drive"]);
  assert.ok(r.unusedLive.includes("Cutoff"));
});

test("matchNames never uses a Live parameter twice; prefix-only ties go to Live's order", () => {
  const model = ["osc pitch", "osc pitch", "mix level"];
  const live = [{ name: "Osc Pitch" }, { name: "Mix A Level" }, { name: "Mix B Level" }];
  const r = PF.matchNames(model, live, {});
  const got = r.pairs.map((p) => [p.modelIndex, p.live.name, p.how]);
  assert.deepEqual(got, [[0, "Osc Pitch", "normalised"], [2, "Mix A Level", "tokens-no-prefix"]]);
  assert.deepEqual(r.unmatched, ["osc pitch"]);
  // a mapping to a name the device does not have leaves the parameter unmapped
  const r2 = PF.matchNames(["a"], [{ name: "b" }], { a: "missing" });
  assert.equal(r2.pairs.length, 0);
});

test("fuzzy matching skips ties", () => {
  const live = [{ name: "Filter Cutoff Mod Depth Extra" }, { name: "Filter Cutoff Mod Depth Other" }];
  assert.equal(PF.matchNames(["filter cutoff mod depth"], live, {}).pairs.length, 0);
  assert.equal(PF.matchNames(["filter cutoff mod depth"], live.slice(0, 1), {}).pairs.length, 1);
});

test("unit suffixes do not stop a match", () => {
  const r = PF.matchNames(["cutoff_hz", "attack_s", "gain_db"], [{ name: "Gain" }, { name: "Attack" }, { name: "Cutoff" }], {});
  assert.deepEqual(r.pairs.map((p) => p.live.name), ["Cutoff", "Attack", "Gain"]);
  assert.deepEqual(PF.tokenize("hz"), ["hz"]);
});

test("mapping entries with a range scale 0..1 into that part of the parameter", () => {
  const attack = { name: "A Amp EG Attack", min: 0, max: 1, quantized: false };
  const r = PF.matchNames(["amp_attack_s"], [attack], { amp_attack_s: { live: "A Amp EG Attack", range: [0, 0.77] } });
  assert.equal(r.pairs.length, 1);
  assert.deepEqual(r.pairs[0].range, [0, 0.77]);
  assert.ok(Math.abs(PF.scaleToLive(1, attack, r.pairs[0].range) - 0.77) < 1e-12);
  assert.equal(PF.scaleToLive(0.5, attack, [0.2, 0.4]), 0.30000000000000004);
  assert.equal(PF.scaleToLive(1, attack, [0, 3]), 1); // still clamped into the parameter's min..max
  assert.deepEqual(PF.mappingFromPairs(["amp_attack_s"], r.pairs), { amp_attack_s: { live: "A Amp EG Attack", range: [0, 0.77] } });
});

test("fuzzy matching accepts a unique close name only", () => {
  const r = PF.matchNames(["filter 1 cutoff freq"], [{ name: "Filter 1 Cutoff" }, { name: "Filter 2 Cutoff" }], {});
  assert.equal(r.pairs.length, 1);
  assert.equal(r.pairs[0].live.name, "Filter 1 Cutoff");
  assert.equal(r.pairs[0].how, "fuzzy");
  assert.equal(PF.jaccard(["a", "b", "c"], ["a", "b", "d"]), 0.5);
});

test("mappingFromPairs makes an automatic match explicit", () => {
  const names = ["cutoff", "noise"];
  const r = PF.matchNames(names, [{ name: "Cutoff" }], {});
  assert.deepEqual(PF.mappingFromPairs(names, r.pairs), { cutoff: "Cutoff", noise: "" });
});

test("Throttle coalesces to the latest value per key and spaces flushes by the interval", () => {
  const t = new PF.Throttle(33);
  assert.equal(t.delayMs(0), 0);
  t.push("m0", 0.1);
  assert.deepEqual(t.flush(0), [{ key: "m0", value: 0.1 }]);
  // a burst within one interval: only the latest value of each key survives, in first-push order
  t.push("m1", 0.2);
  t.push("m0", 0.3);
  t.push("m1", 0.4);
  t.push("m0", 0.5);
  assert.equal(t.delayMs(10), 23);
  assert.equal(t.delayMs(40), 0);
  assert.deepEqual(t.flush(33), [{ key: "m1", value: 0.4 }, { key: "m0", value: 0.5 }]);
  assert.equal(t.hasPending(), false);
  assert.deepEqual(t.flush(70), []);
  t.push("x", 1);
  t.clear();
  assert.equal(t.hasPending(), false);
});

test("Throttle: a 1 kHz input stream becomes at most one message per key per interval", () => {
  const t = new PF.Throttle(33);
  let now = 0;
  let next = 0;
  const sent = [];
  for (let i = 0; i < 1000; i++) {
    now = i;
    t.push("macro", i / 1000);
    if (now >= next && t.delayMs(now) === 0) {
      sent.push(...t.flush(now).map((e) => [now, e.value]));
      next = now + 33;
    }
  }
  sent.push(...t.flush(1000).map((e) => [1000, e.value]));
  assert.ok(sent.length <= Math.ceil(1000 / 33) + 1, `${sent.length} messages`);
  for (let k = 1; k < sent.length - 1; k++) {
    assert.ok(sent[k][0] - sent[k - 1][0] >= 33);
  }
  assert.equal(sent[sent.length - 1][1], 0.999); // the last value always gets through
});

test("oscEncode writes the OSC 1.0 byte layout (golden bytes)", () => {
  const bytes = PF.oscEncode("/patchflow/ping", [7]);
  const expected = Buffer.concat([
    Buffer.from("/patchflow/ping\0", "ascii"), // 16 bytes, already a multiple of 4
    Buffer.from(",i\0\0", "ascii"),
    Buffer.from([0, 0, 0, 7]),
  ]);
  assert.deepEqual(Buffer.from(bytes), expected);

  const m = Buffer.from(PF.oscEncode("/patchflow/macro", [2, 0.25]));
  assert.equal(m.toString("ascii", 0, 17), "/patchflow/macro\0");
  assert.equal(m.length, 20 + 4 + 8);
  assert.equal(m.toString("ascii", 20, 23), ",if");
  assert.equal(m.readInt32BE(24), 2);
  assert.equal(m.readFloatBE(28), 0.25);

  const s = Buffer.from(PF.oscEncode("/patchflow/match/file", [3, "/tmp/a b.wav"]));
  assert.equal(s.length % 4, 0);
  assert.equal(s.toString("ascii", 24, 28), ",is\0");
});

test("OSC types follow Max atoms: whole numbers are ints, others floats, strings symbols", () => {
  assert.equal(PF.maxAtomTag(3), "i");
  assert.equal(PF.maxAtomTag(0), "i");
  assert.equal(PF.maxAtomTag(0.5), "f");
  assert.equal(PF.maxAtomTag(2 ** 40), "f");
  assert.equal(PF.maxAtomTag("x"), "s");
  assert.throws(() => PF.maxAtomTag(null));
  assert.throws(() => PF.oscEncode("nope", []));
  assert.throws(() => PF.oscEncode("/a", [1], "if"));
});

test("oscDecode inverts oscEncode for i, f and s (UTF-8 included)", () => {
  const args = [42, -1, 0.5, "Filter Résonance", "", 1e-3];
  const decoded = PF.oscDecode(PF.oscEncode("/patchflow/names", args));
  assert.equal(decoded.address, "/patchflow/names");
  assert.equal(decoded.tags, "iifssf");
  assert.deepEqual(decoded.args.slice(0, 5), args.slice(0, 5));
  assert.ok(Math.abs(decoded.args[5] - 1e-3) < 1e-9);
  assert.throws(() => PF.oscDecode(Buffer.from("/a\0\0,x\0\0", "ascii")), /unsupported/);
  assert.throws(() => PF.oscDecode(Buffer.from("/abc", "ascii")), /unterminated/);
});

test("oscSizeOfAtoms predicts the datagram size", () => {
  const cases = [
    ["/patchflow/ping"],
    ["/patchflow/ping", 1],
    ["/patchflow/match/file", 9, "/Users/me/My Sounds/kick.wav"],
    ["/patchflow/match/chunk", 1, 0].concat(new Array(1600).fill(0.25)),
  ];
  for (const atoms of cases) {
    assert.equal(PF.oscSizeOfAtoms(atoms), PF.oscEncode(atoms[0], atoms.slice(1)).length);
  }
});

test("uploadMessages splits audio into chunks of at most 1600 floats and 8 KB", () => {
  const samples = Array.from({ length: 4 * 48000 }, (_, i) => Math.sin(i / 10));
  const up = PF.uploadMessages(17, samples, 48000, 1);
  assert.deepEqual(up.begin, ["/patchflow/match/begin", 17, 48000, 1, 4 * 48000]);
  assert.deepEqual(up.end, ["/patchflow/match/end", 17]);
  assert.equal(up.chunks.length, Math.ceil(samples.length / 1600));
  let covered = 0;
  for (const c of up.chunks) {
    assert.equal(c[0], "/patchflow/match/chunk");
    assert.equal(c[1], 17);
    assert.equal(c[2], covered); // offsets are contiguous
    assert.ok(c.length - 3 <= PF.MAX_CHUNK_FLOATS);
    assert.ok(PF.oscSizeOfAtoms(c) <= PF.MAX_DATAGRAM_BYTES, `${PF.oscSizeOfAtoms(c)} bytes`);
    covered += c.length - 3;
  }
  assert.equal(covered, samples.length);
  // a full chunk with the largest possible ids and offsets still fits
  const worst = ["/patchflow/match/chunk", 2147483647, 2147483647].concat(new Array(1600).fill(-0.123));
  assert.ok(PF.oscEncode(worst[0], worst.slice(1)).length <= 8192);
});

test("planChunks covers every sample exactly once", () => {
  for (const n of [0, 1, 1599, 1600, 1601, 3200, 12345]) {
    const plan = PF.planChunks(n, 1600);
    assert.equal(plan.reduce((s, c) => s + c.count, 0), n);
    plan.forEach((c, i) => assert.equal(c.offset, i * 1600));
  }
});

test("interleaved stereo uploads keep frames and channels apart", () => {
  const up = PF.uploadMessages(1, [0.1, 0.2, 0.3, 0.4, 0.5], 44100, 2, 2);
  assert.deepEqual(up.begin, ["/patchflow/match/begin", 1, 44100, 2, 2]); // the odd sample is dropped
  assert.deepEqual(up.chunks.map((c) => c.slice(2)), [[0, 0.1, 0.2], [2, 0.3, 0.4]]);
});

test("readMono averages channels and reads in blocks", () => {
  const left = Array.from({ length: 10 }, (_, i) => i);
  const right = Array.from({ length: 10 }, (_, i) => -i + 2);
  const calls = [];
  const peek = (ch, start, count) => {
    calls.push([ch, start, count]);
    return (ch === 1 ? left : right).slice(start, start + count);
  };
  assert.deepEqual(PF.readMono(peek, 2, 10, 4), new Array(10).fill(1));
  assert.deepEqual(calls.filter((c) => c[0] === 1).map((c) => c.slice(1)), [[0, 4], [4, 4], [8, 2]]);
  assert.deepEqual(PF.readMono(() => 0.5, 1, 1, 4), [0.5]); // peek of one frame may return a number
});

test("wavHeaderBytes writes a float32 WAV that parses back", () => {
  const samples = [0, 0.5, -0.5, 1, -1, 0.25];
  const header = Buffer.from(PF.wavHeaderBytes(samples.length, 1, 48000));
  assert.equal(header.length, 58);
  const body = Buffer.alloc(samples.length * 4);
  samples.forEach((v, i) => body.writeFloatLE(v, i * 4));
  const wav = readWav(Buffer.concat([header, body]));
  assert.equal(wav.format, 3);
  assert.equal(wav.bits, 32);
  assert.equal(wav.sampleRate, 48000);
  assert.deepEqual(Array.from(wav.channels[0]), samples);
  assert.equal(header.readUInt32LE(4), header.length + body.length - 8);
});

test("isLocalHost", () => {
  for (const h of ["127.0.0.1", "localhost", "LOCALHOST", "127.0.1.1", "::1"]) {
    assert.equal(PF.isLocalHost(h), true, h);
  }
  for (const h of ["192.168.1.20", "gpu.example.org", "10.0.0.1"]) {
    assert.equal(PF.isLocalHost(h), false, h);
  }
});

test("toNativePath turns Max paths into paths the server can open", () => {
  assert.equal(PF.toNativePath("Macintosh HD:/Users/me/kick.wav", "macintosh"), "/Users/me/kick.wav");
  assert.equal(PF.toNativePath("Macintosh HD:/tmp/x.wav", "macintosh"), "/tmp/x.wav");
  assert.equal(PF.toNativePath("Samples:/drums/kick.wav", "macintosh"), "/Volumes/Samples/drums/kick.wav");
  assert.equal(PF.toNativePath("Data:/Users/x.wav", "macintosh", "Macintosh HD"), "/Volumes/Data/Users/x.wav");
  assert.equal(PF.toNativePath("/tmp/x.wav", "macintosh"), "/tmp/x.wav");
  assert.equal(PF.toNativePath("C:/Users/me/kick.wav", "windows"), "C:/Users/me/kick.wav");
  assert.equal(PF.toNativePath("C:\\Users\\me\\kick.wav", "windows"), "C:/Users/me/kick.wav");
  assert.equal(PF.joinPath("/tmp", "a.wav"), "/tmp/a.wav");
  assert.equal(PF.joinPath("/tmp/", "a.wav"), "/tmp/a.wav");
  assert.equal(PF.defaultTempDir("windows"), "C:/Users/Public/Documents");
});

test("LiveAPI results: names joined, quotes removed, numbers read", () => {
  assert.equal(PF.atomsToString(["A", "Osc", "1", "Pitch"]), "A Osc 1 Pitch");
  assert.equal(PF.atomsToString(["A Osc 1 Pitch"]), "A Osc 1 Pitch");
  assert.equal(PF.atomsToString("\"live_set tracks 0\""), "live_set tracks 0");
  assert.equal(PF.atomsToString(undefined), "");
  assert.equal(PF.atomsToNumber([0.25]), 0.25);
  assert.equal(PF.atomsToNumber("3"), 3);
});

test("device state survives the trip through a Max symbol", () => {
  const state = { v: 1, host: "10.0.0.2", mapping: { "osc 1; pitch": "A Osc 1 Pitch", "q,\"x\"": "" }, target: null };
  const text = PF.encodeState(state);
  assert.match(text, /^[A-Za-z0-9%_.!~*'()-]+$/); // no spaces, quotes, commas or semicolons
  assert.deepEqual(PF.decodeState(text), state);
  assert.equal(PF.decodeState("%7Bnot json"), null);
  assert.equal(PF.decodeState("42"), null);
});

test("mapping files: read, write, and the errors they report", () => {
  const text = PF.formatMappingText({ cutoff: "A Filter 1 Cutoff", noise: "" }, "Surge XT", "surge-simple");
  const parsed = PF.parseMappingText(text);
  assert.deepEqual(parsed, { mapping: { cutoff: "A Filter 1 Cutoff", noise: "" }, synth: "Surge XT", model: "surge-simple" });
  assert.deepEqual(PF.parseMappingText('{"a": "B", "c": null}').mapping, { a: "B", c: "" });
  assert.throws(() => PF.parseMappingText("{"), /not valid JSON/);
  assert.throws(() => PF.parseMappingText("[1]"), /JSON object/);
  assert.throws(() => PF.parseMappingText('{"a": 3}'), /must be a Live parameter name/);
  assert.throws(() => PF.parseMappingText('{"a": {"range": [0, 1]}}'), /needs "live"/);
  assert.throws(() => PF.parseMappingText('{"a": {"live": "A", "range": [0]}}'), /must be \[lo, hi\]/);
  assert.deepEqual(PF.parseMappingText('{"a": {"live": "A", "range": [0, 0.5]}, "b": {"live": "B"}}').mapping,
    { a: { live: "A", range: [0, 0.5] }, b: "B" });
  assert.throws(() => PF.parseMappingText('{"mapping": 3}'), /must be an object/);
});

test("the example mapping files in mappings/ parse", () => {
  const dir = path.join(__dirname, "..", "mappings");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json"));
  assert.ok(files.length > 0);
  for (const f of files) {
    const parsed = PF.parseMappingText(fs.readFileSync(path.join(dir, f), "utf8"));
    assert.ok(Object.keys(parsed.mapping).length > 0, f);
  }
});

test("the core is plain ES5 that classic [js] can run", () => {
  for (const file of ["patchflow_core.js", "patchflow_device.js"]) {
    const text = fs.readFileSync(path.join(__dirname, "..", "src", file), "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/\/\/.*$/gm, "")
      .replace(/"(?:[^"\\]|\\.)*"/g, '""');
    for (const [what, re] of [
      ["let/const", /\b(let|const)\s/],
      ["arrow function", /=>/],
      ["class", /\bclass\s+\w/],
      ["template string", /`/],
      ["spread or rest", /\.\.\.\w/],
      ["require", /\brequire\(/],
    ]) {
      assert.ok(!re.test(text), `${file} uses ${what}`);
    }
  }
});
