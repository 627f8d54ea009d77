"use strict";
// The device's second version against mocked Max and Live on a manual clock: independent
// instances, a stable target identity, undo hygiene, streamed refinement with candidates and the
// detected note, macro re-centring, Pick without a control surface, the status light and the
// server process controls.

const test = require("node:test");
const assert = require("node:assert/strict");
const PF = require("../src/patchflow_core.js");
const { MaxEnv } = require("../testing/max_env.js");
const { MODEL_NAMES, makeLiveSet } = require("../testing/fixtures.js");

const OUT_OSC = 0;
const OUT_UI = 7;
const OUT_NODE = 8;

function oscSent(env, address) {
  return env.out(OUT_OSC).filter((m) => m[0] === address);
}

function uiSent(env, target) {
  return env.out(OUT_UI).filter((m) => m[0] === target).map((m) => m.slice(1));
}

/**
 * A loaded device; hello: the server registers the reply port (a streaming server); budget: the
 * search budget its hello answer says (undefined: an older server that does not say it).
 */
function setup(opts) {
  const o = opts || {};
  const fx = o.fx || makeLiveSet();
  const env = new MaxEnv({ live: fx.set });
  env.setTone(440, 44100, 4);
  env.load();
  env.send("samplerate", 44100);
  if (o.restore) {
    env.send("restore", o.restore);
  }
  env.send("init");
  env.advance(0);
  if (o.hello) {
    env.send("/patchflow/hello", env.S.boundReplyPort, 2, ...(o.budget === undefined ? [] : [o.budget]));
  }
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

/** Record and upload; returns the id the device awaits (the server has not answered yet). */
function capture(env) {
  env.send("matchbutton", 1);
  env.advance(env.S.lengthS * 1000 + 100);
  const id = env.S.awaitingMatch;
  assert.ok(id > 0, "a match is awaited");
  return id;
}

function values(x) {
  return MODEL_NAMES.map((_, i) => Math.round(((i + 1) * x) % 1 * 1000) / 1000);
}

const cutoff = (fx) => fx.set.parameterByName(fx.synth, "Cutoff");

// ----------------------------------------------------------------------------------------------
// 1. Instances

test("each instance has its own reply port and request ids from its own range", () => {
  const fx = makeLiveSet();
  const second = fx.set.addDevice(fx.set.song.tracks[1], "patchflow", [{ name: "Macro 1" }], { className: "MxDeviceAudioEffect" });
  const a = setup({ fx, pick: false });
  fx.set.thisDevice = second;
  const b = setup({ fx, pick: false });
  assert.notEqual(a.env.S.thisDeviceId, b.env.S.thisDeviceId);
  assert.notEqual(a.env.S.boundReplyPort, b.env.S.boundReplyPort);
  assert.deepEqual(oscSent(a.env, "/patchflow/hello")[0], ["/patchflow/hello", a.env.S.boundReplyPort]);
  const idsA = oscSent(a.env, "/patchflow/ping").map((m) => m[1]);
  const idsB = oscSent(b.env, "/patchflow/ping").map((m) => m[1]);
  assert.ok(idsA[0] > PF.idBase(a.env.S.thisDeviceId) && idsA[0] < PF.idBase(a.env.S.thisDeviceId) + PF.ID_SPAN);
  assert.ok(idsB[0] > PF.idBase(b.env.S.thisDeviceId) && idsB[0] < PF.idBase(b.env.S.thisDeviceId) + PF.ID_SPAN);
  assert.ok(Math.abs(idsA[0] - idsB[0]) >= PF.ID_SPAN - 10, "the ranges are disjoint");
  // hello is repeated until the server answers, then it stops
  a.env.advance(2000);
  assert.equal(oscSent(a.env, "/patchflow/hello").length, 3);
  a.env.send("/patchflow/hello", a.env.S.boundReplyPort, 2);
  a.env.advance(4000);
  assert.equal(oscSent(a.env, "/patchflow/hello").length, 3);
  // a fixed Reply port still works (an older server that replies to --reply-port)
  b.env.send("replyport", 9131);
  assert.equal(b.env.S.boundReplyPort, 9131);
});

test("the id counter wraps inside the instance's range and ids are int32", () => {
  const base = PF.idBase(1999 + 2000 * 5);
  assert.equal(base, 2000 * PF.ID_SPAN);
  assert.ok(base + PF.ID_SPAN - 1 <= 2147483647);
  assert.equal(PF.nextRequestId(base + PF.ID_SPAN - 1, base), base + 1);
  assert.equal(PF.nextRequestId(5, base), base + 1);
  assert.ok(PF.autoReplyPort(123) >= 20000 && PF.autoReplyPort(123) < 40000);
  assert.notEqual(PF.autoReplyPort(123), PF.autoReplyPort(124));
});

test("an older server's error about hello is not shown as an error", () => {
  const { env } = setup();
  env.send("/patchflow/error", -1, "invalid: unknown address /patchflow/hello");
  assert.equal(env.status.error, undefined);
});

// ----------------------------------------------------------------------------------------------
// 6. Live refinement, candidates, note, macro re-centring

test("streamed refinement: the first answer plays at once, improvements in order, one undo step at the end", () => {
  const { env, fx } = setup({ hello: true, budget: 2 });
  const undo = fx.set.undoEntries.length;
  const id = capture(env);
  assert.equal(env.status.light, "searching");
  env.send("/patchflow/params", id, ...values(0.11));
  env.send("/patchflow/note", id, 57.2, 0.8, 1);
  env.advance(50);
  assert.equal(fx.set.undoEntries.length, undo, "nothing written through the Live API yet");
  assert.ok(env.remoteValues.length > 0, "the first answer plays through live.remote~");
  const firstCutoff = env.remoteValues.filter((r) => r.name === "Cutoff").pop().value;
  assert.ok(Math.abs(firstCutoff - (20 + values(0.11)[0] * 19980)) < 1e-6);
  assert.match(env.status.note, /note A3 \+20 ct \(80%\); matched 1 octave up: play A4 to hear it/);

  env.send("/patchflow/params", id, ...values(0.22));
  env.send("/patchflow/score", id, 0.5, 0);
  env.advance(50);
  assert.match(env.status.score, /score 0.500 \(refining, 1 improvement\)/);
  env.send("/patchflow/params", id - 1, ...values(0.99)); // an older match: ignored
  env.send("/patchflow/score", id - 1, 0.01, 1);
  env.send("/patchflow/params", id, ...values(0.33));
  env.send("/patchflow/score", id, 0.25, 0);
  env.advance(50);
  const streamed = env.remoteValues.filter((r) => r.name === "Cutoff").map((r) => r.value);
  assert.ok(!streamed.includes(20 + values(0.99)[0] * 19980), "the stale reply never played");
  assert.equal(streamed[streamed.length - 1], 20 + values(0.33)[0] * 19980, "the last improvement plays");
  assert.match(env.status.score, /score 0.250 \(refining, 2 improvements\)/);
  assert.equal(fx.set.undoEntries.length, undo);

  for (let r = 0; r < 4; r++) {
    env.send("/patchflow/candidate", id, r, 0.25 + 0.1 * r, ...values(0.4 + 0.1 * r));
  }
  assert.equal(env.status.candidates, "A 0.250  B 0.350  C 0.450  D 0.550");
  env.send("/patchflow/score", id, 0.25, 1);
  env.advance(0);
  assert.equal(fx.set.undoEntries.length, undo + 1, "one match, one undo step");
  assert.equal(fx.set.undoEntries[fx.set.undoEntries.length - 1].changes, 7);
  assert.ok([...env.remoteIds.values()].every((v) => v === 0), "live.remote~ released");
  assert.equal(cutoff(fx).value, 20 + values(0.33)[0] * 19980, "the best patch is what the Set stores");
  assert.match(env.status.score, /score 0.250 \(final\), 2 improvements/);
  assert.equal(env.status.light, "ready");

  // a candidate: auditioned as one undo step
  env.send("candidate", 2);
  env.advance(0);
  assert.equal(fx.set.undoEntries.length, undo + 2);
  assert.equal(cutoff(fx).value, 20 + values(0.6)[0] * 19980);
  assert.match(env.status.capture, /candidate C/);
  env.send("candidate", 3);
  env.advance(0);
  assert.equal(cutoff(fx).value, 20 + values(0.7)[0] * 19980);
  // a late score or candidate of the finished match changes nothing
  env.send("/patchflow/score", id, 0.1, 1);
  env.advance(0);
  assert.equal(fx.set.undoEntries.length, undo + 3);
});

test("a server too old to say its budget, running no search: the first answer is stored after a short wait", () => {
  const { env, fx } = setup({ hello: true });
  assert.equal(env.S.serverSearchS, null);
  const undo = fx.set.undoEntries.length;
  const id = capture(env);
  env.send("/patchflow/params", id, ...values(0.3));
  env.send("/patchflow/note", id, 60, 0.9, 0); // the note comes with or without a search
  env.advance(100);
  assert.equal(fx.set.undoEntries.length, undo);
  assert.ok(env.remoteValues.length > 0, "heard at once");
  env.advance(1400);
  assert.equal(fx.set.undoEntries.length, undo + 1);
  assert.equal(cutoff(fx).value, 20 + values(0.3)[0] * 19980);
  assert.match(env.status.score, /one answer/);
});

test("a macro right after a first answer (no search yet) stores that answer first", () => {
  const { env, fx } = setup({ hello: true });
  const undo = fx.set.undoEntries.length;
  const id = capture(env);
  env.send("/patchflow/params", id, ...values(0.3));
  env.advance(50);
  env.send("macro", 1, 0.8);
  env.advance(0);
  assert.equal(fx.set.undoEntries.length, undo + 1, "the first answer is stored at once");
  assert.equal(env.S.refine, null);
  env.advance(100);
  env.send("/patchflow/params", id, ...values(0.35)); // the macro's reply: streamed, committed later
  env.advance(2000);
  assert.equal(fx.set.undoEntries.length, undo + 2);
  assert.equal(cutoff(fx).value, 20 + values(0.35)[0] * 19980);
});

test("a server that says its search budget is > 0: the stream is awaited from the first answer", () => {
  const { env, fx } = setup({ hello: true, budget: 0 });
  env.send("serverproc", "state", "running", "pid", 7);
  assert.equal(env.S.serverSearchS, null, "a new server process: its budget is not known yet");
  env.send("/patchflow/hello", env.S.boundReplyPort, 1, 1.5); // the new process registers the port again
  assert.equal(env.S.serverSearchS, 1.5);
  const undo = fx.set.undoEntries.length;
  const id = capture(env);
  env.send("/patchflow/params", id, ...values(0.3));
  env.advance(5000); // a slow first improvement
  assert.equal(fx.set.undoEntries.length, undo);
  env.send("/patchflow/params", id, ...values(0.4));
  env.send("/patchflow/score", id, 0.2, 1);
  env.advance(0);
  assert.equal(fx.set.undoEntries.length, undo + 1);
  assert.equal(cutoff(fx).value, 20 + values(0.4)[0] * 19980);
});

test("a server that says its search budget is 0: the first answer is stored at once, the note changes nothing", () => {
  const { env, fx } = setup({ hello: true, budget: 0 });
  assert.equal(env.S.serverSearchS, 0);
  const undo = fx.set.undoEntries.length;
  const id = capture(env);
  env.send("/patchflow/params", id, ...values(0.3));
  env.advance(0);
  assert.equal(fx.set.undoEntries.length, undo + 1, "stored with the first answer, no wait");
  assert.equal(env.S.refine, null);
  assert.equal(cutoff(fx).value, 20 + values(0.3)[0] * 19980);
  env.send("/patchflow/note", id, 60, 0.9, 0); // sent by a budget-0 server too: no stream follows
  env.advance(0);
  assert.equal(env.S.refine, null);
  assert.match(env.status.note, /note C4/);
  assert.equal(env.status.light, "ready", "not searching");
  env.advance(40000);
  assert.equal(fx.set.undoEntries.length, undo + 1, "nothing more is written");
});

test("info says the search budget as its last field; n_macros stays in place", () => {
  const { env, fx } = setup({ hello: true });
  assert.equal(env.S.serverSearchS, null);
  env.send("/patchflow/info", "test-model", "Fake Synth", MODEL_NAMES.length, 44100, 4.0, 8, 0.0);
  assert.equal(env.S.nMacros, 8, "not the budget");
  assert.equal(env.S.serverSearchS, 0);
  const undo = fx.set.undoEntries.length;
  const id = capture(env);
  env.send("/patchflow/params", id, ...values(0.3));
  env.advance(0);
  assert.equal(fx.set.undoEntries.length, undo + 1);
  env.send("/patchflow/info", "test-model", "Fake Synth", MODEL_NAMES.length, 44100, 4.0, 8, 2.0);
  assert.equal(env.S.serverSearchS, 2);
  env.send("/patchflow/info", "test-model", "Fake Synth", MODEL_NAMES.length, 44100, 4.0, 8);
  assert.equal(env.S.serverSearchS, 2, "an info without the field changes nothing");
  assert.equal(PF.searchBudgetArg(["m", "s", 3, 44100, 4.0, 8, "x"], 6), null);
  assert.equal(PF.searchBudgetArg([9200, 1, -1], 2), null);
  assert.equal(PF.searchBudgetArg([9200, 1, 0.5], 2), 0.5);
});

test("a lost server forgets its budget until it says it again", () => {
  const { env } = setup({ hello: true, budget: 0 });
  assert.equal(env.S.serverSearchS, 0);
  env.advance(60000); // no pongs: the server is lost
  assert.equal(env.S.serverAlive, false);
  assert.equal(env.S.serverSearchS, null);
  env.send("/patchflow/hello", env.S.boundReplyPort, 1, 3);
  assert.equal(env.S.serverSearchS, 3);
});

test("a stream whose final score never comes is committed after the refine timeout", () => {
  const { env, fx } = setup({ hello: true });
  const undo = fx.set.undoEntries.length;
  const id = capture(env);
  env.send("/patchflow/params", id, ...values(0.3));
  env.send("/patchflow/score", id, 0.4, 0);
  env.advance(29000);
  assert.equal(fx.set.undoEntries.length, undo);
  env.advance(2000);
  assert.equal(fx.set.undoEntries.length, undo + 1);
  assert.match(env.status.score, /no final score/);
});

test("without a streaming server the first answer is written at once (one undo step)", () => {
  const { env, fx } = setup();
  const undo = fx.set.undoEntries.length;
  const id = capture(env);
  env.send("/patchflow/params", id, ...values(0.3));
  env.advance(0);
  assert.equal(fx.set.undoEntries.length, undo + 1);
  assert.equal(env.S.refine, null);
});

test("candidate buttons before any candidate say so", () => {
  const { env } = setup({ hello: true });
  env.send("candidate", 0);
  assert.match(env.status.candidates, /no candidate A yet/);
});

test("macro dials and Morph re-centre after every match, without sending macros", () => {
  const { env } = setup();
  let id = capture(env);
  env.send("/patchflow/params", id, ...values(0.3));
  env.advance(0);
  env.send("macro", 3, 0.9);
  env.send("macro", 5, 0.1);
  env.advance(100);
  assert.equal(env.S.macroValues[2], 0.9);
  env.clearOutlets();
  id = capture(env);
  env.send("/patchflow/params", id, ...values(0.4));
  env.advance(0);
  for (let k = 1; k <= 8; k++) {
    assert.deepEqual(uiSent(env, `macro${k}`), [["set", 0.5]]);
  }
  assert.deepEqual(uiSent(env, "morphdial"), [["set", 1]]);
  assert.deepEqual(Array.from(env.S.macroValues), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  env.advance(100);
  assert.equal(oscSent(env, "/patchflow/macro").length, 0);
});

test("note lines: unpitched, in place, shifted down", () => {
  assert.deepEqual(PF.describeNote(-1, 0, 0), { text: "unpitched sound", hint: "" });
  assert.deepEqual(PF.describeNote(60, 1, 0), { text: "note C4 (100%)", hint: "play C4 to hear the match" });
  const d = PF.describeNote(83.9, 0.5, -2);
  assert.equal(d.text, "note C6 -10 ct (50%)");
  assert.equal(d.hint, "matched 2 octaves down: play C4 to hear it");
  assert.equal(PF.noteName(69), "A4");
  assert.equal(PF.noteName(0), "C-1");
});

// ----------------------------------------------------------------------------------------------
// 2. Target identity

test("a track inserted before the target: writes still go to the chosen synth (Live id)", () => {
  const { env, fx } = setup();
  const pathBefore = env.S.target.path;
  const intruder = fx.set.insertTrack("New Track", 0);
  fx.set.addDevice(intruder, "Surge XT", [{ name: "Cutoff", min: 20, max: 20000, value: 123 }]);
  fx.set.renumber();
  const id = capture(env);
  env.send("/patchflow/params", id, ...values(0.3));
  env.advance(0);
  assert.equal(cutoff(fx).value, 20 + values(0.3)[0] * 19980);
  assert.equal(fx.set.parameterByName(intruder.devices[0], "Cutoff").value, 123, "the device now at the old path is untouched");
  assert.notEqual(env.S.target.path, pathBefore);
  assert.equal(env.S.target.path, fx.synth.path);
  // Refresh (a user action) keeps the target and saves the new path
  const writes = env.stateWrites || 0;
  env.send("rescan");
  assert.equal(env.S.targetId, String(fx.synth.id));
  assert.equal(PF.decodeState(env.savedState).target.path, fx.synth.path);
  assert.equal(env.stateWrites, writes + 1);
});

test("a renamed or deleted target is refused, and the device says so", () => {
  const { env, fx } = setup();
  fx.synth.name = "Something Else";
  const undo = fx.set.undoEntries.length;
  let id = capture(env);
  env.send("/patchflow/params", id, ...values(0.3));
  env.advance(0);
  assert.equal(fx.set.undoEntries.length, undo, "nothing written");
  assert.match(env.status.target, /not written: the target was renamed from "Surge XT" to "Something Else"/);
  assert.match(env.status.error, /not written/);
  // macros do not drive it either
  env.send("macro", 1, 0.8);
  env.advance(100);
  env.send("/patchflow/params", id, ...values(0.5));
  env.advance(100);
  assert.equal(env.remoteValues.length, 0);
  // Refresh does not silently accept the renamed device
  env.send("rescan");
  assert.equal(env.S.match, null);
  assert.match(env.status.target, /renamed/);
  // deleted
  const fx2 = setup();
  fx2.fx.set.deleteDevice(fx2.fx.synth);
  id = capture(fx2.env);
  fx2.env.send("/patchflow/params", id, ...values(0.3));
  fx2.env.advance(0);
  assert.match(fx2.env.status.target, /"Surge XT" is gone/);
});

test("after reopening the Set the target is found by name and track, else refused", () => {
  const first = setup();
  const saved = first.env.savedState;
  assert.ok(saved);
  // same Set, new ids, one track inserted before it (the path moved)
  const reopened = first.fx.set.reopen();
  reopened.set.insertTrack("Drums", 0);
  const synth = reopened.map.get(first.fx.synth);
  const self = reopened.set.thisDevice;
  const { env } = setup({ fx: { set: reopened.set, synth, self }, restore: saved });
  assert.equal(env.S.targetId, String(synth.id));
  assert.equal(env.S.target.path, synth.path);
  const id = capture(env);
  env.send("/patchflow/params", id, ...values(0.3));
  env.advance(0);
  assert.equal(reopened.set.parameterByName(synth, "Cutoff").value, 20 + values(0.3)[0] * 19980);
  assert.equal(env.stateWrites || 0, 0, "loading and matching store nothing");

  // the track was renamed in the meantime: refused
  const again = first.fx.set.reopen();
  again.set.song.tracks[0].name = "Lead";
  const r = setup({ fx: { set: again.set }, restore: saved });
  assert.equal(r.env.S.match, null);
  assert.match(r.env.status.target, /not connected: no "Surge XT" on a track named "Synth"/);
  const id2 = capture(r.env);
  r.env.send("/patchflow/params", id2, ...values(0.3));
  r.env.advance(0);
  assert.equal(again.set.writes.length, 0);
  assert.match(r.env.status.mapping, /pick a target/);
});

// ----------------------------------------------------------------------------------------------
// 3. Undo

test("the state is stored only on user edits, not on load, match, macros or Refresh", () => {
  const { env } = setup();
  const after = env.stateWrites; // picking the target is a user edit
  assert.equal(after, 1);
  const id = capture(env);
  env.send("/patchflow/params", id, ...values(0.3));
  env.advance(0);
  env.send("macro", 1, 0.7);
  env.advance(100);
  env.send("/patchflow/params", id, ...values(0.35));
  env.advance(2000);
  env.send("rescan");
  env.send("restore", env.savedState); // pattr echoing the value back
  assert.equal(env.stateWrites, after);
  env.send("host", "192.168.0.9");
  assert.equal(env.stateWrites, after + 1);
});

test("the final write after macro moves skips parameters whose automation plays", () => {
  const { env, fx } = setup();
  const id = capture(env);
  env.send("/patchflow/params", id, ...values(0.3));
  env.advance(0);
  const res = fx.set.parameterByName(fx.synth, "Resonance");
  res.automation_state = 1;
  fx.set.song.is_playing = 1;
  const resBefore = res.value;
  const undo = fx.set.undoEntries.length;
  env.send("macro", 1, 0.7);
  env.advance(100);
  env.send("/patchflow/params", id, ...values(0.6));
  env.advance(2000);
  assert.equal(fx.set.undoEntries.length, undo + 1);
  assert.equal(res.value, resBefore, "automation keeps its parameter");
  assert.equal(cutoff(fx).value, 20 + values(0.6)[0] * 19980);
  assert.match(env.status.mapping, /1 left to their automation/);
  // stopped transport: written
  fx.set.song.is_playing = 0;
  env.send("macro", 1, 0.2);
  env.advance(100);
  env.send("/patchflow/params", id, ...values(0.7));
  env.advance(2000);
  assert.equal(res.value, values(0.7)[1]);
});

// ----------------------------------------------------------------------------------------------
// 7. Pick without a control surface

test("Pick follows the selected track's selected_device (no control surface)", () => {
  const { env, fx } = setup({ pick: false });
  env.send("pickarm", 1);
  env.advance(0);
  assert.equal(env.S.target, null, "arming picks nothing by itself");
  fx.set.selectDevice(fx.self); // our own device: ignored
  env.advance(0);
  assert.equal(env.S.target, null);
  fx.set.selectDevice(fx.operator);
  env.advance(0);
  assert.equal(env.S.target.deviceName, "Operator");
  assert.equal(env.S.target.trackName, "Bass");
  assert.equal(fx.set.observers.filter((o) => o.property).length, 0, "observers are disarmed");
  env.send("pickarm", 1);
  fx.set.selectDevice(fx.piano); // inside a rack on another track
  env.advance(0);
  assert.equal(env.S.target.path, fx.piano.path);
});

// ----------------------------------------------------------------------------------------------
// 5. Status light, offline, server process

test("the light and Match follow the server: offline, loading, ready, searching", () => {
  const { env } = setup({ server: false });
  assert.equal(env.status.light, "offline");
  assert.deepEqual(uiSent(env, "matchactive").pop(), ["active", 0]);
  env.send("matchbutton", 1);
  assert.equal(env.S.recording, false, "Match does nothing while offline");
  assert.match(env.status.error, /server is offline/);
  env.send("serverproc", "state", "starting", "patchflow", "serve");
  env.advance(2000);
  assert.equal(env.status.light, "loading");
  env.send("/patchflow/pong", 1, "test-model", 1);
  assert.equal(env.status.light, "loading", "no parameter names yet");
  assert.deepEqual(uiSent(env, "matchactive").pop(), ["active", 1]);
  env.send("/patchflow/names", ...MODEL_NAMES);
  env.advance(0);
  assert.equal(env.status.light, "ready");
  env.send("matchbutton", 1);
  assert.equal(env.status.light, "searching");
  assert.deepEqual(uiSent(env, "light").pop(), ["textcolor", 0.35, 0.6, 0.95, 1]);
});

test("Start, Stop and Restart drive the node script with this instance's serve arguments", () => {
  const { env } = setup({ server: false, pick: false });
  env.send("servercommand", "text", "/opt/pf/bin/patchflow");
  env.send("servermodel", "text", "surge-simple");
  env.send("serverstart", 1);
  const port = env.S.boundReplyPort;
  assert.deepEqual(env.out(OUT_NODE).pop(), ["start", "/opt/pf/bin/patchflow", "serve", "--osc-port", 9130,
    "--reply-port", port, "--model", "surge-simple", "--budget-s", 2]);
  env.send("serverplugin", "text", "/Library/Audio/Plug-Ins/VST3/Surge XT.vst3");
  env.send("serverbudget", 0.5);
  env.send("serverstart", 1);
  assert.deepEqual(env.out(OUT_NODE).pop().slice(-4), ["--plugin", "/Library/Audio/Plug-Ins/VST3/Surge XT.vst3", "--budget-s", 0.5]);
  const hellos = oscSent(env, "/patchflow/hello").length;
  env.send("serverproc", "state", "running", "pid", 4242);
  assert.equal(oscSent(env, "/patchflow/hello").length, hellos + 1, "a new server process gets a hello");
  assert.equal(env.status.light, "loading", "running, but no answer yet");
  env.send("serverproc", "log", "loaded", "model", "surge-simple");
  assert.equal(env.status.proclog, "loaded model surge-simple");
  env.send("serverproc", "state", "exited", "code", "1;", "restarting");
  assert.match(env.status.error, /patchflow serve exited/);
  env.send("serverproc", "state", "failed", "cannot", "run");
  assert.match(env.status.proc, /failed/);
  env.send("serverrestart", 1);
  assert.equal(env.out(OUT_NODE).pop()[0], "restart");
  env.send("serverstop", 1);
  assert.deepEqual(env.out(OUT_NODE).pop(), ["stop"]);
  const st = PF.decodeState(env.savedState);
  assert.deepEqual(st.server, { command: "/opt/pf/bin/patchflow", model: "surge-simple",
    plugin: "/Library/Audio/Plug-Ins/VST3/Surge XT.vst3", auto: 0 });
  env.send("servermodel", "bang"); // the field emptied
  assert.equal(env.S.serverModel, "");
  // a remote host: Start refuses
  env.send("host", "192.168.1.9");
  const n = env.out(OUT_NODE).length;
  env.send("serverstart", 1);
  assert.equal(env.out(OUT_NODE).length, n);
  assert.match(env.status.error, /runs on 192.168.1.9/);
});

test("Auto starts the server when the device loads; removing the device stops it", () => {
  const state = PF.encodeState({ v: 1, host: "127.0.0.1", mapping: {}, target: null,
    server: { command: "", model: "", plugin: "", auto: 1 } });
  const { env } = setup({ server: false, restore: state });
  assert.equal(env.out(OUT_NODE)[0][0], "start");
  assert.equal(env.out(OUT_NODE)[0][1], "default");
  env.send("serverproc", "state", "running", "pid", 42);
  env.close();
  assert.deepEqual(env.out(OUT_NODE).pop(), ["stop"]);
});
