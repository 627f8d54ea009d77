"use strict";
// The device's own JavaScript (the bundle Max loads) against mocked Max and Live objects, on a
// manual clock: capture, upload layout, applying parameters, undo grouping, live.remote~
// streams, target picking, mapping edits and saved state.

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const PF = require("../src/patchflow_core.js");
const { MaxEnv, readWav } = require("../testing/max_env.js");
const { MODEL_NAMES, makeLiveSet } = require("../testing/fixtures.js");

const OUT_OSC = 0;
const OUT_RECV = 1;
const OUT_REC = 2;
const OUT_STATE = 6;
const OUT_UI = 7;

/** A copy in this realm (objects made inside the vm context have other prototypes). */
function plain(x) {
  return JSON.parse(JSON.stringify(x));
}

function oscSent(env, address) {
  return env.out(OUT_OSC).filter((m) => m[0] === address);
}

function uiSent(env, target) {
  return env.out(OUT_UI).filter((m) => m[0] === target).map((m) => m.slice(1));
}

/** A loaded device with a server that has answered, and (optionally) a target picked. */
function setup(opts) {
  const o = opts || {};
  const fx = makeLiveSet();
  const env = new MaxEnv({ live: fx.set, os: o.os });
  env.setTone(440, 44100, 4);
  env.load();
  env.send("samplerate", 44100);
  if (o.transport !== undefined) {
    env.send("transport", o.transport);
  }
  if (o.restore) {
    env.send("restore", o.restore);
  }
  env.send("init");
  env.advance(0);
  if (o.server !== false) {
    env.send("/patchflow/pong", 1, "test-model", 1);
    env.send("/patchflow/info", "test-model", "Fake Synth", MODEL_NAMES.length, 44100, 4.0, 8);
    env.send("/patchflow/names", ...MODEL_NAMES);
  }
  if (o.pick !== false && !o.restore) {
    env.send("picktrack", 0);
    env.send("pickdevice", 0);
  }
  return { env, fx };
}

/** Record, upload and answer one match; returns the values the server sent. */
function matchOnce(env, values) {
  env.send("matchbutton", 1);
  env.advance(env.S.lengthS * 1000 + 100);
  const id = env.S.awaitingMatch;
  assert.ok(id > 0, "a match is awaited");
  const v = values || MODEL_NAMES.map((_, i) => (i + 1) / (MODEL_NAMES.length + 1));
  env.send("/patchflow/params", id, ...v);
  env.advance(0);
  return { id, values: v };
}

test("init configures udpsend/udpreceive, starts pinging and lists tracks", () => {
  const { env } = setup({ server: false, pick: false });
  assert.deepEqual(env.out(OUT_OSC).slice(0, 2), [["host", "127.0.0.1"], ["port", 9130]]);
  // Reply 0 (the default): a port of this instance's own, registered with hello
  const port = PF.autoReplyPort(env.S.thisDeviceId);
  assert.deepEqual(env.out(OUT_RECV), [["port", port]]);
  const hellos = oscSent(env, "/patchflow/hello");
  assert.ok(hellos.length >= 1 && hellos.every((m) => m[1] === port && m.length === 2));
  assert.equal(oscSent(env, "/patchflow/ping").length, 1);
  env.advance(2000);
  assert.equal(oscSent(env, "/patchflow/ping").length, 2);
  const tracks = uiSent(env, "track");
  assert.deepEqual(tracks[0], ["clear"]);
  assert.deepEqual(tracks.slice(1).map((m) => m[1]), ["Synth", "Bass", "Keys", "Return Reverb", "Master"]);
  assert.match(env.status.target, /no target/);
  assert.match(env.status.server, /connecting to 127.0.0.1:9130/);
});

test("server status: waiting, connected, then lost", () => {
  const { env } = setup({ server: false, pick: false });
  env.advance(4000); // three pings, no answer
  assert.match(env.status.server, new RegExp(`waiting for 127.0.0.1:9130 \\(listening on ${PF.autoReplyPort(env.S.thisDeviceId)}\\)`));
  env.send("/patchflow/pong", 5, "surge-simple", 1);
  assert.match(env.status.server, /connected/);
  assert.equal(env.status.model, "surge-simple");
  assert.equal(oscSent(env, "/patchflow/info").length, 1);
  assert.equal(oscSent(env, "/patchflow/names").length, 1);
  env.advance(8000);
  assert.match(env.status.server, /no reply from 127.0.0.1:9130/);
  env.send("/patchflow/pong", 9, "surge-simple", 2);
  assert.match(env.status.server, /protocol v2/);
});

test("host and port settings reconfigure the network objects", () => {
  const { env } = setup({ server: false, pick: false });
  env.clearOutlets();
  env.send("host", "192.168.1.50");
  env.send("sendport", 9200);
  env.send("replyport", 9201.0);
  assert.deepEqual(env.out(OUT_OSC).filter((m) => m[0] === "host" || m[0] === "port").slice(-2), [["host", "192.168.1.50"], ["port", 9200]]);
  assert.deepEqual(env.out(OUT_RECV).slice(-1), [["port", 9201]]);
  assert.equal(PF.decodeState(env.savedState).host, "192.168.1.50");
  env.send("sendport", 70000); // ignored
  assert.equal(env.S.sendPort, 9200);
});

test("picking a track lists its devices (not this one) and picking a device reads its parameters", () => {
  const { env, fx } = setup({ pick: false });
  env.send("picktrack", 0);
  assert.deepEqual(uiSent(env, "device").slice(1).map((m) => m[1]), ["Surge XT"]);
  env.send("pickdevice", 0);
  assert.equal(env.S.target.path, fx.synth.path);
  assert.equal(env.S.liveParams.length, 9);
  const wave = env.S.liveParams.find((p) => p.name === "Osc 1 Wave");
  assert.deepEqual([wave.min, wave.max, wave.quantized, wave.nItems], [0, 4, true, 5]);
  assert.match(env.status.target, /Synth \/ Surge XT \(9 parameters\)/);
  const state = PF.decodeState(env.savedState);
  assert.deepEqual(state.target, { path: fx.synth.path, trackName: "Synth", deviceName: "Surge XT" });
  // racks: chains are listed with their path
  env.send("picktrack", 2);
  assert.deepEqual(uiSent(env, "device").slice(-2).map((m) => m[1]), ["Instrument Rack", "Instrument Rack / Piano / Piano Synth"]);
});

test("names are matched to the target's parameters", () => {
  const { env } = setup();
  const pairs = plain(env.S.match.pairs.map((p) => [p.modelName, p.live.name]));
  assert.deepEqual(pairs, [
    ["cutoff_hz", "Cutoff"],
    ["resonance", "Resonance"],
    ["osc1_wave", "Osc 1 Wave"],
    ["osc1_pitch", "A Osc 1 Pitch"],
    ["amp_attack_s", "Amp Attack"],
    ["noise_volume", "Noise Volume"],
    ["filter_type", "Filter Type"],
  ]);
  assert.equal(env.status.mapping, "mapped 7/8, unmapped: pitch");
  const modelMenu = uiSent(env, "model");
  assert.ok(modelMenu.some((m) => m[0] === "append" && m[1] === "osc1_pitch -> A Osc 1 Pitch"));
  assert.ok(modelMenu.some((m) => m[0] === "append" && m[1] === "pitch -> (none)"));
});

test("Match records for the chosen length, then uploads chunks (remote transport)", () => {
  const { env } = setup({ transport: 2 });
  env.send("capturelength", 1.5);
  env.clearOutlets();
  env.send("matchbutton", 0); // a button release is not a press
  assert.deepEqual(env.out(OUT_REC), []);
  env.send("matchbutton", 1);
  assert.deepEqual(env.out(OUT_REC), [[1]]);
  assert.match(env.status.capture, /recording 1.5 s/);
  env.send("matchbutton", 1); // pressing again while recording does nothing
  env.advance(1000);
  assert.deepEqual(env.out(OUT_REC), [[1]]);
  env.advance(600);
  assert.deepEqual(env.out(OUT_REC), [[1], [0]]);
  const begin = oscSent(env, "/patchflow/match/begin");
  assert.equal(begin.length, 1);
  const id = begin[0][1];
  assert.deepEqual(begin[0], ["/patchflow/match/begin", id, 44100, 1, 66150]);
  env.advance(1000); // let the paced upload finish
  const chunks = oscSent(env, "/patchflow/match/chunk");
  assert.equal(chunks.length, Math.ceil(66150 / 1600));
  const samples = [];
  for (const c of chunks) {
    assert.equal(c[1], id);
    assert.equal(c[2], samples.length);
    assert.ok(c.length - 3 <= 1600);
    assert.ok(PF.oscEncode(c[0], c.slice(1)).length <= 8192);
    samples.push(...c.slice(3));
  }
  // the stereo tone was mixed to mono
  assert.ok(Math.abs(samples[1] - 0.5 * Math.sin(2 * Math.PI * 440 / 44100)) < 1e-6);
  assert.deepEqual(oscSent(env, "/patchflow/match/end"), [["/patchflow/match/end", id]]);
  const endIndex = env.out(OUT_OSC).findIndex((m) => m[0] === "/patchflow/match/end");
  const lastChunk = env.out(OUT_OSC).map((m) => m[0]).lastIndexOf("/patchflow/match/chunk");
  assert.ok(endIndex > lastChunk, "end goes out after every chunk");
  assert.match(env.status.capture, /matching 1.50 s capture \(42 chunks\)/);
});

test("the chunk size can be lowered, never raised above the protocol's 1600", () => {
  const { env } = setup({ transport: 2 });
  env.send("capturelength", 0.5);
  env.send("chunkfloats", 400);
  env.send("matchbutton", 1);
  env.advance(1000);
  assert.equal(oscSent(env, "/patchflow/match/chunk").length, Math.ceil(22050 / 400));
  env.send("chunkfloats", 5000);
  assert.equal(env.S.chunkFloats, 1600);
});

test("uploads are paced: a few datagrams per tick, not one burst", () => {
  const { env } = setup({ transport: 2 });
  env.send("capturelength", 4);
  env.clearOutlets();
  env.send("matchbutton", 1);
  env.advance(4000 + 30);
  const after = oscSent(env, "/patchflow/match/chunk").length;
  assert.ok(after <= 8, `${after} chunks in the first tick`);
  env.advance(200);
  assert.equal(oscSent(env, "/patchflow/match/chunk").length, Math.ceil(4 * 44100 / 1600));
});

test("a match result is applied through the Live API as one undo step", () => {
  const { env, fx } = setup({ transport: 2 });
  const before = fx.set.undoEntries.length;
  const values = [0, 1, 0.3, 0.5, 0.25, 0.75, 0.6, 0.9];
  const { id } = matchOnce(env, values);
  const p = (name) => fx.set.parameterByName(fx.synth, name).value;
  assert.equal(p("Cutoff"), 20);
  assert.equal(p("Resonance"), 1);
  assert.equal(p("Osc 1 Wave"), 1); // 0.3 * 4 = 1.2 -> snapped to 1
  assert.equal(p("A Osc 1 Pitch"), 0);
  assert.equal(p("Amp Attack"), 0.25);
  assert.equal(p("Noise Volume"), 0.75);
  assert.equal(p("Filter Type"), 1); // 0.6 * 2 = 1.2 -> 1
  assert.equal(p("Master Volume"), 0.8); // not matched, untouched
  assert.equal(fx.set.undoEntries.length, before + 1);
  assert.equal(fx.set.undoEntries[fx.set.undoEntries.length - 1].changes, 7);
  assert.ok(fx.set.writes.every((w) => w.grouped));
  assert.deepEqual(fx.set.calls.slice(-2), ["begin_undo_step", "end_undo_step"]);
  assert.equal(env.S.matchId, id);
  assert.match(env.status.mapping, /applied 7\/8 \(match\)/);
  assert.match(env.status.capture, /matched/);
  env.send("/patchflow/latency", id, 12.34);
  assert.match(env.status.latency, /server 12.3 ms, total \d+ ms/);
});

test("the apply is deferred out of the OSC callback into one batch", () => {
  const { env, fx } = setup({ transport: 2 });
  env.send("matchbutton", 1);
  env.advance(2200);
  const id = env.S.awaitingMatch;
  const writes = fx.set.writes.length;
  env.send("/patchflow/params", id, ...MODEL_NAMES.map(() => 0.5));
  assert.equal(fx.set.writes.length, writes, "nothing written inside the udpreceive callback");
  env.advance(0);
  assert.equal(fx.set.writes.length, writes + 7);
});

test("replies for other ids are ignored; late macro replies of an older match too", () => {
  const { env, fx } = setup({ transport: 2 });
  const { id } = matchOnce(env);
  const writes = fx.set.writes.length;
  env.send("/patchflow/params", id + 100, ...MODEL_NAMES.map(() => 0.1));
  env.advance(100);
  assert.equal(fx.set.writes.length, writes);
  assert.equal(env.remoteValues.length, 0);
});

test("macro dials send coalesced /patchflow/macro messages at most 30 times a second", () => {
  const { env } = setup({ transport: 2 });
  env.send("macro", 1, 0.6); // before any match: nothing to move
  assert.equal(oscSent(env, "/patchflow/macro").length, 0);
  matchOnce(env);
  env.clearOutlets();
  for (let k = 0; k < 50; k++) {
    env.send("macro", 1, 0.5 + k / 100);
    env.send("macro", 3, 0.5 - k / 100);
    env.advance(2); // 100 ms of knob turning at 500 Hz
  }
  env.advance(100);
  const sent = oscSent(env, "/patchflow/macro");
  assert.ok(sent.length <= 2 * (Math.ceil(100 / 33) + 2), `${sent.length} messages`);
  const lastOf = (index) => sent.filter((m) => m[1] === index).pop();
  assert.deepEqual(lastOf(0), ["/patchflow/macro", 0, 0.99]); // dials 1..8 are indices 0..7
  assert.ok(Math.abs(lastOf(2)[2] - 0.01) < 1e-12);
  env.send("macro", 9, 0.5); // there are eight
  env.send("macro", 2, 1.7); // values are clamped
  env.advance(100);
  assert.deepEqual(oscSent(env, "/patchflow/macro").pop(), ["/patchflow/macro", 1, 1]);
  env.send("morph", 0.25);
  env.advance(100);
  assert.deepEqual(oscSent(env, "/patchflow/morph"), [["/patchflow/morph", 0.25]]);
});

test("macro replies drive live.remote~ (no undo), then commit as one undo step", () => {
  const { env, fx } = setup({ transport: 2 });
  const { id } = matchOnce(env);
  const undo = fx.set.undoEntries.length;
  const writes = fx.set.writes.length;
  // 20 replies within 40 ms: coalesced to the latest, at most one update per 33 ms
  for (let k = 0; k < 20; k++) {
    env.send("/patchflow/params", id, ...MODEL_NAMES.map((_, i) => (i === 0 ? k / 20 : 0.5)));
    env.advance(2);
  }
  env.advance(50);
  const ids = [...env.remoteIds.entries()].filter(([, pid]) => pid);
  assert.equal(ids.length, 7, "one live.remote~ per matched parameter");
  const cutoffId = fx.set.parameterByName(fx.synth, "Cutoff").id;
  assert.ok(ids.some(([, pid]) => pid === cutoffId));
  const cutoffUpdates = env.remoteValues.filter((r) => r.name === "Cutoff");
  assert.ok(cutoffUpdates.length <= 3, `${cutoffUpdates.length} updates`);
  assert.equal(cutoffUpdates[cutoffUpdates.length - 1].value, 20 + (19 / 20) * 19980);
  for (const r of env.remoteValues) {
    const param = fx.set.objects.get(r.id);
    assert.ok(r.value >= param.min && r.value <= param.max);
    if (param.quantized) {
      assert.ok(Number.isInteger(r.value));
    }
  }
  // unchanged values are not re-sent
  const resonanceUpdates = env.remoteValues.filter((r) => r.name === "Resonance");
  assert.equal(resonanceUpdates.length, 1);
  assert.equal(fx.set.undoEntries.length, undo, "streaming makes no undo steps");
  assert.equal(fx.set.writes.length, writes);
  // quiet for 1.5 s: release live.remote~ and store the values (one undo step)
  env.advance(1500);
  assert.ok([...env.remoteIds.values()].every((pid) => pid === 0));
  assert.equal(fx.set.undoEntries.length, undo + 1);
  assert.equal(fx.set.parameterByName(fx.synth, "Cutoff").value, 20 + (19 / 20) * 19980);
  assert.match(env.status.mapping, /applied 7\/8 \(macros\)/);
});

test("a new match releases live.remote~ before writing", () => {
  const { env, fx } = setup({ transport: 2 });
  const { id } = matchOnce(env);
  env.send("/patchflow/params", id, ...MODEL_NAMES.map(() => 0.2));
  env.advance(40);
  assert.ok(fx.set.controlled.size > 0);
  matchOnce(env, MODEL_NAMES.map(() => 0.9)); // the mock refuses writes to controlled parameters
  assert.equal(fx.set.controlled.size, 0);
  assert.equal(fx.set.parameterByName(fx.synth, "Resonance").value, 0.9);
});

test("the live.remote~ pool is 64 slots; the rest follow on commit", () => {
  const fx = makeLiveSet();
  const many = Array.from({ length: 80 }, (_, i) => ({ name: `Knob ${i + 1}`, min: 0, max: 1 }));
  const track = fx.set.addTrack("Big");
  const big = fx.set.addDevice(track, "Big Synth", many);
  const env = new MaxEnv({ live: fx.set });
  env.setTone(440, 44100, 4);
  env.load();
  env.send("transport", 2);
  env.send("init");
  env.send("/patchflow/pong", 1, "m", 1);
  env.send("/patchflow/names", ...many.map((p) => p.name.toLowerCase()));
  env.send("picktrack", 3);
  env.send("pickdevice", 0);
  assert.equal(env.S.target.path, big.path);
  const { id } = matchOnce(env, many.map(() => 0.1));
  env.send("/patchflow/params", id, ...many.map(() => 0.6));
  env.advance(40);
  const bound = [...env.remoteIds.values()].filter((pid) => pid);
  assert.equal(bound.length, 64);
  assert.match(env.status.mapping, /streaming 64 of 80/);
  env.advance(1600);
  assert.equal(fx.set.parameterByName(big, "Knob 80").value, 0.6);
});

test("local server: the capture is written as a float WAV and sent as a path", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pf-device-"));
  const { env } = setup({}); // transport auto, host 127.0.0.1 -> file
  env.send("tempdir", dir);
  env.send("capturelength", 0.5);
  env.send("matchbutton", 1);
  env.advance(600);
  const sent = oscSent(env, "/patchflow/match/file");
  assert.equal(sent.length, 1);
  const [, id, file] = sent[0];
  assert.equal(file, path.join(dir, `patchflow_capture_${env.S.thisDeviceId}_${id % 8}.wav`));
  assert.equal(oscSent(env, "/patchflow/match/begin").length, 0);
  const wav = readWav(fs.readFileSync(file));
  assert.equal(wav.sampleRate, 44100);
  assert.equal(wav.channels.length, 1);
  assert.equal(wav.channels[0].length, 22050);
  assert.ok(Math.abs(wav.channels[0][1] - 0.5 * Math.sin(2 * Math.PI * 440 / 44100)) < 1e-6);
  assert.match(env.status.capture, /matching 0.50 s capture \(file\)/);
  // a later, shorter capture truncates the rotated file properly
  env.send("capturelength", 4);
  env.send("matchbutton", 1);
  env.advance(4100);
  const second = oscSent(env, "/patchflow/match/file")[1][2];
  assert.equal(readWav(fs.readFileSync(second)).channels[0].length, 4 * 44100);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("if the WAV cannot be written, the capture goes as chunks", () => {
  const { env } = setup({});
  env.send("tempdir", "/nonexistent/folder");
  env.send("capturelength", 0.5);
  env.send("matchbutton", 1);
  env.advance(700);
  assert.equal(oscSent(env, "/patchflow/match/file").length, 0);
  assert.equal(oscSent(env, "/patchflow/match/begin").length, 1);
  assert.match(env.status.error, /could not write/);
});

test("dropped files: a path for a local server, buffer + chunks for a remote one", () => {
  const { env } = setup({});
  env.send("dropfile", "Macintosh HD:/Users/me/Sounds/vocal take.wav");
  assert.deepEqual(oscSent(env, "/patchflow/match/file").pop().slice(2), ["/Users/me/Sounds/vocal take.wav"]);
  assert.match(env.status.capture, /matching file vocal take.wav/);

  const remote = setup({ transport: 2 }).env;
  remote.send("dropfile", "Macintosh HD:/Users/me/Sounds/vocal take.wav");
  assert.deepEqual(remote.bufferMessages.pop(), { name: remote.fileBuffer, args: ["replace", "Macintosh HD:/Users/me/Sounds/vocal take.wav"] });
  // buffer~ loads the file (6 s at 48 kHz), info~ reports its rate, then the bang
  remote.buffers[remote.fileBuffer] = { channels: [new Float32Array(6 * 48000).fill(0.1)] };
  remote.send("filesr", 48000);
  remote.send("fileloaded");
  const begin = oscSent(remote, "/patchflow/match/begin").pop();
  assert.deepEqual(begin.slice(2), [48000, 1, 4 * 48000]); // cut to the model's 4 s
});

test("an incomplete upload is resent once, then reported", () => {
  const { env } = setup({ transport: 2 });
  env.send("capturelength", 0.5);
  env.send("matchbutton", 1);
  env.advance(700);
  const id = env.S.awaitingMatch;
  const nChunks = oscSent(env, "/patchflow/match/chunk").length;
  env.send("/patchflow/error", id, "incomplete: 1600 samples missing");
  env.advance(100);
  assert.equal(oscSent(env, "/patchflow/match/chunk").length, 2 * nChunks);
  assert.equal(oscSent(env, "/patchflow/match/end").length, 2);
  assert.equal(env.S.awaitingMatch, id);
  env.send("/patchflow/error", id, "incomplete: 1600 samples missing");
  assert.equal(env.S.awaitingMatch, -1);
  assert.equal(env.status.error, "incomplete: 1600 samples missing");
  assert.equal(env.status.capture, "match failed");
});

test("a match with no reply times out", () => {
  const { env } = setup({ transport: 2 });
  env.send("matchbutton", 1);
  env.advance(2100);
  env.advance(20000);
  assert.match(env.status.error, /no reply to match/);
  assert.equal(env.S.awaitingMatch, -1);
});

test("values that arrive before a target is picked are applied when it is", () => {
  const { env, fx } = setup({ transport: 2, pick: false });
  matchOnce(env, MODEL_NAMES.map(() => 1));
  assert.match(env.status.mapping, /pick a target device/);
  env.send("picktrack", 0);
  env.send("pickdevice", 0);
  env.advance(0);
  assert.equal(fx.set.parameterByName(fx.synth, "Resonance").value, 1);
});

test("values that arrive before the names wait for them", () => {
  const { env, fx } = setup({ transport: 2, server: false });
  env.send("/patchflow/pong", 1, "m", 1);
  env.clearOutlets();
  matchOnce(env, MODEL_NAMES.map(() => 0));
  assert.ok(oscSent(env, "/patchflow/names").length >= 1, "asks for the names");
  env.send("/patchflow/names", ...MODEL_NAMES);
  env.advance(0);
  assert.equal(fx.set.parameterByName(fx.synth, "Cutoff").value, 20);
});

test("click-to-pick: the next device or control the user clicks becomes the target", () => {
  const { env, fx } = setup({ pick: false });
  env.send("pickarm", 1);
  assert.match(env.status.target, /click the synth/);
  fx.set.appoint(fx.self); // our own device: ignored
  env.advance(0);
  assert.equal(env.S.target, null);
  fx.set.selectParameter(fx.operator.parameters[1]); // a knob on Operator
  env.advance(0);
  assert.equal(env.S.target.path, fx.operator.path);
  assert.equal(env.S.target.trackName, "Bass");
  assert.equal(fx.set.observers.filter((o) => o.property).length, 0, "observers are disarmed");
  env.send("pickarm", 1);
  fx.set.appoint(fx.piano); // a device inside a rack
  env.advance(0);
  assert.equal(env.S.target.path, fx.piano.path);
  assert.equal(env.S.target.trackName, "Keys");
  env.send("pickarm", 1);
  env.advance(21000); // nobody clicks
  assert.equal(env.S.pickArmed, false);
});

test("mapping edits: choose a Live parameter for a model parameter, reset, save and load", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pf-map-"));
  const { env } = setup();
  env.send("modelparam", 7); // "pitch", unmapped
  assert.deepEqual(uiSent(env, "live").pop(), ["set", 0]);
  env.send("liveparam", 9); // "Master Volume" (0 is "(none)", 1 "Device On", 2 "Cutoff", ...)
  let pitch = env.S.match.pairs.find((p) => p.modelName === "pitch");
  assert.equal(pitch.live.name, "Master Volume");
  assert.equal(pitch.how, "mapping");
  assert.deepEqual(PF.decodeState(env.savedState).mapping, { pitch: "Master Volume" });
  env.send("modelparam", 0);
  env.send("liveparam", 0); // cutoff_hz -> (none)
  assert.equal(env.S.match.pairs.find((p) => p.modelName === "cutoff_hz"), undefined);
  const file = path.join(dir, "map.json");
  env.send("savemapbutton", 1);
  assert.deepEqual(uiSent(env, "savedialog").pop(), ["bang"]);
  env.send("writemap", file);
  const saved = PF.parseMappingText(fs.readFileSync(file, "utf8"));
  assert.equal(saved.mapping.cutoff_hz, "");
  assert.equal(saved.mapping.pitch, "Master Volume");
  assert.equal(saved.mapping.resonance, "Resonance");
  assert.equal(saved.synth, "Surge XT");
  env.send("automap", 1);
  assert.deepEqual(plain(env.S.mapping), {});
  assert.equal(env.S.match.pairs.length, 7);
  env.send("readmap", file);
  assert.equal(env.S.match.pairs.find((p) => p.modelName === "pitch").live.name, "Master Volume");
  fs.writeFileSync(file, "{ not json");
  env.send("readmap", file);
  assert.match(env.status.error, /mapping file: mapping file is not valid JSON/);
  env.send("loadmapbutton", 1);
  assert.deepEqual(uiSent(env, "opendialog").pop(), ["bang"]);
  fs.rmSync(dir, { recursive: true, force: true });
  pitch = null;
});

test("a mapping file with ranges scales into part of the parameter", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pf-map-"));
  const file = path.join(dir, "surge.json");
  fs.writeFileSync(file, PF.formatMappingText({ amp_attack_s: { live: "Amp Attack", range: [0, 0.77] } }, "Surge XT", "m"));
  const { env, fx } = setup({ transport: 2 });
  env.send("readmap", file);
  matchOnce(env, MODEL_NAMES.map(() => 1));
  assert.ok(Math.abs(fx.set.parameterByName(fx.synth, "Amp Attack").value - 0.77) < 1e-12);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("state saved with the Set restores the target, mapping and host", () => {
  const first = setup();
  first.env.send("host", "10.1.2.3");
  first.env.send("modelparam", 7);
  first.env.send("liveparam", 9);
  const saved = first.env.savedState;

  const fx = makeLiveSet();
  const env = new MaxEnv({ live: fx.set });
  env.load();
  env.send("restore", saved); // [pattr] restores before live.thisdevice bangs
  env.send("init");
  assert.equal(env.S.host, "10.1.2.3");
  assert.deepEqual(env.out(OUT_OSC).slice(0, 1), [["host", "10.1.2.3"]]);
  assert.deepEqual(uiSent(env, "host").pop(), ["set", "10.1.2.3"]);
  assert.equal(env.S.target.path, fx.synth.path);
  assert.deepEqual(uiSent(env, "track").pop(), ["set", 0]);
  env.send("/patchflow/pong", 1, "m", 1);
  env.send("/patchflow/names", ...MODEL_NAMES);
  assert.equal(env.S.match.pairs.find((p) => p.modelName === "pitch").live.name, "Master Volume");
  // the device's own echo through [pattr] is ignored
  const out = env.out(OUT_STATE).length;
  env.send("restore", env.savedState || saved);
  assert.equal(env.out(OUT_STATE).length, out);
});

test("a saved target that is gone is reported", () => {
  const state = PF.encodeState({ v: 1, host: "127.0.0.1", mapping: {}, target: { path: "live_set tracks 9 devices 0", trackName: "Old", deviceName: "Gone" } });
  const { env } = setup({ restore: state });
  assert.match(env.status.target, /not connected: no "Gone" on a track named "Old"/);
  assert.equal(env.S.match, null);
});

test("errors from the server are shown", () => {
  const { env } = setup();
  env.send("/patchflow/error", -1, "invalid: macro index 9 is outside 0..7");
  assert.equal(env.status.error, "invalid: macro index 9 is outside 0..7");
  assert.ok(env.posts.some((p) => p.includes("macro index 9")));
  env.send("/patchflow/error", 3, "busy: superseded by a newer request from this client");
  assert.equal(env.status.error, "invalid: macro index 9 is outside 0..7", "a superseded match is not an error");
  env.send("/patchflow/native", 1, 2, 3); // ignored quietly
  env.send("/patchflow/unknown", 1);
  assert.ok(env.posts.some((p) => p.includes("ignored message /patchflow/unknown")));
});

test("notifydeleted stops the tasks", () => {
  const { env } = setup();
  env.send("notifydeleted");
  const pings = oscSent(env, "/patchflow/ping").length;
  env.advance(10000);
  assert.equal(oscSent(env, "/patchflow/ping").length, pings);
});
