"use strict";
// End to end over UDP loopback: the device's own JavaScript (the bundle Max loads) with mocked
// Max and Live objects talks OSC to a server and applies the returned parameters to a mock Live
// device.
//
// 1. Against a small node server written here (always runs), including several instances of
//    the device against one server and the streamed refinement messages.
// 2. Against a real `patchflow serve` (skipped, with the reason, when the CLI has no `serve`
//    verb yet, no model bundle is found, or the server does not start).
//    Model: $PATCHFLOW_E2E_MODEL, else the first folder with a card.json under ../models.
//
// No test can hang: each has a timeout, every device is closed and every child process killed in
// finally blocks (and on exit), and a device that fails to start closes its own sockets.

const test = require("node:test");
const assert = require("node:assert/strict");
const dgram = require("node:dgram");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawn, spawnSync } = require("node:child_process");
const { after } = require("node:test");
const PF = require("../src/patchflow_core.js");
const { MaxEnv, waitFor, toneChannels } = require("../testing/max_env.js");
const { FakePatchflowServer } = require("../testing/fake_server.js");
const { MODEL_NAMES, makeLiveSet } = require("../testing/fixtures.js");
const { addSynthFor } = require("../testing/device_session.js");

const REPO = path.resolve(__dirname, "..", "..");

async function freeUdpPort() {
  const s = dgram.createSocket("udp4");
  await new Promise((resolve) => s.bind(0, "127.0.0.1", resolve));
  const port = s.address().port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

const TEST_TIMEOUT_MS = 30000;

/** Child processes started by these tests: killed when a test ends and, at the latest, on exit. */
const CHILDREN = new Set();

function track(child) {
  CHILDREN.add(child);
  child.once("exit", () => CHILDREN.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
function stopProcess(child, graceMs) {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), graceMs || 5000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

after(async () => {
  await Promise.all([...CHILDREN].map((c) => stopProcess(c, 2000)));
});
process.on("exit", () => {
  for (const c of CHILDREN) {
    c.kill("SIGKILL");
  }
});

/**
 * A device on a mock Live Set, connected over UDP to a server on serverPort. replyPort null:
 * the device's own automatic port (it registers it with hello). If the device does not come up,
 * its sockets and timers are closed before the error propagates.
 */
async function startDevice(serverPort, replyPort, opts) {
  const o = opts || {};
  const fx = o.fx || makeLiveSet();
  const env = new MaxEnv({ clock: "real", live: fx.set });
  try {
    env.setTone(o.toneHz || 440, 44100, 4);
    await env.connectUdp(serverPort, replyPort);
    env.load();
    env.context.COMMIT_DELAY_MS = 300; // shorter than the device's 1.5 s, to keep the test quick
    env.send("samplerate", 44100);
    env.send("sendport", serverPort);
    if (replyPort !== null) {
      env.send("replyport", replyPort);
    }
    env.send("transport", o.transport || 0);
    if (o.tempDir) {
      env.send("tempdir", o.tempDir);
    }
    env.send("init");
    await waitFor(() => env.S.names !== null || env.errors.length > 0, o.namesTimeoutMs || 5000,
      "the model's parameter names");
    if (env.errors.length) {
      throw env.errors[0];
    }
    return { env, fx };
  } catch (e) {
    env.close();
    throw e;
  }
}

function pickSynth(env) {
  env.send("picktrack", 0);
  env.send("pickdevice", 0);
  assert.equal(env.S.target.deviceName, "Surge XT");
}

function assertInRangeAndSnapped(device) {
  for (const p of device.parameters) {
    assert.ok(p.value >= Math.min(p.min, p.max) && p.value <= Math.max(p.min, p.max), `${p.name} = ${p.value}`);
    if (p.quantized) {
      assert.ok(Number.isInteger(p.value), `${p.name} = ${p.value} is snapped`);
    }
  }
}

async function matchAndWait(env, fx, timeoutMs) {
  const undo = fx.set.undoEntries.length;
  const before = env.S.matchId;
  env.send("matchbutton", 1);
  await waitFor(() => env.S.matchId !== before && fx.set.undoEntries.length > undo, timeoutMs || 8000, "the match to be applied");
  if (env.errors.length) {
    throw env.errors[0];
  }
}

test("fake server, remote transport: chunks over UDP, parameters applied to the mock synth", { timeout: TEST_TIMEOUT_MS }, async () => {
  const replyPort = await freeUdpPort();
  const server = await new FakePatchflowServer({ names: MODEL_NAMES, nMacros: 8 }).start(replyPort);
  let env = null;
  try {
    const started = await startDevice(server.port, replyPort, { transport: 2 });
    env = started.env;
    const fx = started.fx;
    pickSynth(env);
    env.send("capturelength", 1.0);
    await matchAndWait(env, fx);

    const a = server.analyses[0];
    assert.equal(a.via, "chunks");
    assert.equal(a.frames, 44100);
    assert.equal(a.sampleRate, 44100);
    assert.ok(Math.abs(a.freq - 440) < 5, `the server heard ${a.freq} Hz`);
    assert.ok(env.datagramSizes.length > 28);
    assert.ok(Math.max(...env.datagramSizes) <= 8192, `largest datagram ${Math.max(...env.datagramSizes)} bytes`);
    const chunkRequests = server.requests.filter((r) => r.address === "/patchflow/match/chunk");
    assert.equal(chunkRequests.length, Math.ceil(44100 / 1600));

    const param = (name) => fx.set.parameterByName(fx.synth, name);
    assert.equal(param("Cutoff").value, 20); // the server sent 0 for the first parameter
    assert.equal(param("Resonance").value, 1); // and 1 for the second
    const expected = server.valuesFor(a.freq);
    assert.equal(param("Osc 1 Wave").value, Math.round(expected[2] * 4));
    assert.ok(Math.abs(param("A Osc 1 Pitch").value - (-24 + expected[3] * 48)) < 1e-4);
    assert.equal(param("Master Volume").value, 0.8);
    assertInRangeAndSnapped(fx.synth);
    assert.equal(fx.set.undoEntries[fx.set.undoEntries.length - 1].changes, 7);
    assert.match(env.status.latency, /server 1.5 ms, total \d+ ms/);

    // a macro: the reply is streamed through live.remote~, then committed once it goes quiet
    const undo = fx.set.undoEntries.length;
    env.send("macro", 2, 0.9);
    await waitFor(() => env.remoteValues.length > 0, 3000, "live.remote~ values");
    assert.deepEqual(server.requests.filter((r) => r.address === "/patchflow/macro").map((r) => [r.tags, r.args[0]]), [["if", 1]]);
    assert.equal(fx.set.undoEntries.length, undo, "no undo step while streaming");
    await waitFor(() => fx.set.undoEntries.length === undo + 1, 3000, "the commit");
    assert.ok([...env.remoteIds.values()].every((id) => id === 0));
    assertInRangeAndSnapped(fx.synth);

    // morph between the last two captured sounds
    env.setTone(660, 44100, 4);
    await matchAndWait(env, fx);
    const remoteBefore = env.remoteValues.length;
    env.send("morph", 0.0);
    await waitFor(() => env.remoteValues.length > remoteBefore, 3000, "morph values");
    assert.deepEqual(server.requests.filter((r) => r.address === "/patchflow/morph").map((r) => r.args[0]), [0]);
    assert.ok(Math.abs(server.analyses[1].freq - 660) < 5);
  } finally {
    if (env) {
      env.close();
    }
    server.close();
  }
});

test("fake server, local transport: the capture goes as a WAV file path", { timeout: TEST_TIMEOUT_MS }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pf-e2e-"));
  const replyPort = await freeUdpPort();
  const server = await new FakePatchflowServer({ names: MODEL_NAMES, nMacros: 4 }).start(replyPort);
  let env = null;
  try {
    const started = await startDevice(server.port, replyPort, { transport: 0, tempDir: dir });
    env = started.env;
    const fx = started.fx;
    pickSynth(env);
    env.send("capturelength", 0.5);
    await matchAndWait(env, fx);
    const a = server.analyses[0];
    assert.equal(a.via, "file");
    assert.equal(path.dirname(a.path), dir);
    assert.equal(a.frames, 22050);
    assert.ok(Math.abs(a.freq - 440) < 10, `${a.freq} Hz`);
    assert.equal(server.requests.filter((r) => r.address === "/patchflow/match/chunk").length, 0);
    assertInRangeAndSnapped(fx.synth);
    // the model has four macros: dial 5 does nothing
    env.send("macro", 5, 0.2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(server.requests.filter((r) => r.address === "/patchflow/macro").length, 0);
    assert.match(env.status.mapping, /4 macros/);
  } finally {
    if (env) {
      env.close();
    }
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("fake server: a lost chunk is resent after an 'incomplete' error", { timeout: TEST_TIMEOUT_MS }, async () => {
  const replyPort = await freeUdpPort();
  const server = await new FakePatchflowServer({ names: MODEL_NAMES, dropChunkOnce: 1600 }).start(replyPort);
  let env = null;
  try {
    const started = await startDevice(server.port, replyPort, { transport: 2 });
    env = started.env;
    const fx = started.fx;
    pickSynth(env);
    env.send("capturelength", 0.5);
    await matchAndWait(env, fx);
    assert.equal(server.requests.filter((r) => r.address === "/patchflow/match/end").length, 2);
    assert.equal(server.analyses.length, 1);
  } finally {
    if (env) {
      env.close();
    }
    server.close();
  }
});

test("fake server: a dropped audio file is loaded into buffer~ and uploaded at its own rate", { timeout: TEST_TIMEOUT_MS }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pf-e2e-"));
  const file = path.join(dir, "vocal sketch.wav");
  const tone = toneChannels(330, 48000, 2, 1)[0];
  const header = Buffer.from(PF.wavHeaderBytes(tone.length, 1, 48000));
  const body = Buffer.alloc(tone.length * 4);
  tone.forEach((v, i) => body.writeFloatLE(v, i * 4));
  fs.writeFileSync(file, Buffer.concat([header, body]));
  const replyPort = await freeUdpPort();
  const server = await new FakePatchflowServer({ names: MODEL_NAMES }).start(replyPort);
  let env = null;
  try {
    const started = await startDevice(server.port, replyPort, { transport: 2 });
    env = started.env;
    const fx = started.fx;
    env.emulateFileBuffer();
    pickSynth(env);
    const undo = fx.set.undoEntries.length;
    env.send("dropfile", file);
    await waitFor(() => fx.set.undoEntries.length > undo, 8000, "the dropped file's match");
    const a = server.analyses[0];
    assert.equal(a.via, "chunks");
    assert.equal(a.sampleRate, 48000);
    assert.equal(a.frames, 96000);
    assert.ok(Math.abs(a.freq - 330) < 5, `${a.freq} Hz`);
  } finally {
    if (env) {
      env.close();
    }
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a device that cannot reach a server fails fast and leaves no sockets or timers behind", { timeout: TEST_TIMEOUT_MS }, async () => {
  const udpHandles = () => process.getActiveResourcesInfo().filter((r) => r === "UDPWrap").length;
  const before = udpHandles();
  const port = await freeUdpPort(); // nobody listens there
  await assert.rejects(startDevice(port, null, { namesTimeoutMs: 300 }), /timed out after 300 ms/);
  // (earlier tests' sockets may still be closing: fewer handles than before is fine)
  await waitFor(() => udpHandles() <= before, 2000, "the device's sockets to close");
  // the device's ping task (every 2 s) would keep node alive: it must be gone
  const timers = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  await new Promise((resolve) => setTimeout(resolve, 2100));
  assert.ok(udpHandles() <= before);
  assert.ok(process.getActiveResourcesInfo().filter((r) => r === "Timeout").length <= timers, "no device timers left");
});

// ----------------------------------------------------------------------------------------------
// Several instances of the device against one server

/**
 * n devices in one Live Set, each its own instance (its own this_device, so its own automatic
 * reply port and id range), each with its own synth on its own track and its own sound.
 */
async function startInstances(serverPort, n, opts) {
  const o = opts || {};
  const fx = makeLiveSet();
  const devices = [];
  try {
    for (let i = 0; i < n; i++) {
      const t = fx.set.addTrack(`Voice ${i + 1}`);
      const synth = fx.set.addDevice(t, `Synth ${i + 1}`, [
        { name: "Cutoff", min: 20, max: 20000 }, { name: "Resonance", min: 0, max: 1 },
        { name: "Osc 1 Wave", quantized: true, items: ["Sine", "Tri", "Saw", "Square", "Noise"] },
        { name: "A Osc 1 Pitch", min: -24, max: 24 }, { name: "Amp Attack", min: 0, max: 1 },
        { name: "Noise Volume", min: 0, max: 1 }, { name: "Filter Type", quantized: true, items: ["LP", "HP", "BP"] },
      ]);
      fx.set.thisDevice = fx.set.addDevice(t, "patchflow", [], { className: "MxDeviceAudioEffect" });
      // auto transport (a local server: WAV files in one shared folder, as in a real Set)
      const started = await startDevice(serverPort, null, {
        fx: { set: fx.set }, transport: 0, tempDir: o.tempDir, toneHz: 220 * (i + 1), namesTimeoutMs: o.namesTimeoutMs,
      });
      started.synth = synth;
      devices.push(started);
      started.env.send("rescan");
      const ti = started.env.S.tracks.findIndex((x) => x.name === `Voice ${i + 1}`);
      started.env.send("picktrack", ti);
      started.env.send("pickdevice", started.env.S.devices.findIndex((d) => d.name === `Synth ${i + 1}`));
      assert.equal(started.env.S.target.deviceName, `Synth ${i + 1}`);
    }
    return { fx, devices };
  } catch (e) {
    for (const d of devices) {
      d.env.close();
    }
    throw e;
  }
}

/** All devices press Match together; each waits for its own result. */
async function matchAll(fx, devices, timeoutMs) {
  const before = devices.map((d) => ({ matchId: d.env.S.matchId, writes: fx.set.writes.length }));
  for (const d of devices) {
    d.env.send("capturelength", 0.5);
    d.env.send("matchbutton", 1);
  }
  await waitFor(() => devices.every((d, i) => d.env.S.matchId !== before[i].matchId && !d.env.S.refine &&
    d.env.S.awaitingMatch === -1), timeoutMs || 10000, "every instance's match");
  await new Promise((resolve) => setTimeout(resolve, 50)); // the deferred Live API writes
  for (const d of devices) {
    if (d.env.errors.length) {
      throw d.env.errors[0];
    }
  }
}

for (const n of [2, 4]) {
  test(`fake server: ${n} instances in one Set, one server, no cross-talk`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const server = await new FakePatchflowServer({ names: MODEL_NAMES, hello: true }).start(null);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pf-e2e-inst-"));
    let run = null;
    try {
      run = await startInstances(server.port, n, { tempDir: dir });
      const { fx, devices } = run;
      const ports = new Set(devices.map((d) => d.env.S.boundReplyPort));
      assert.equal(ports.size, n, "one reply port per instance");
      await waitFor(() => devices.every((d) => d.env.S.helloAcked), 5000, "hello answered");
      await matchAll(fx, devices);
      assert.equal(new Set(server.analyses.map((a) => a.client)).size, n, "the server saw n clients");
      const ids = server.analyses.map((a) => a.id);
      assert.equal(new Set(ids).size, n, "request ids never collide");
      for (let i = 0; i < n; i++) {
        const d = devices[i];
        const mine = server.analyses.find((a) => a.id === d.env.S.matchId);
        assert.ok(mine, `instance ${i + 1}'s match reached the server`);
        assert.ok(Math.abs(mine.freq - 220 * (i + 1)) < 10, `instance ${i + 1} sent its own sound (${mine.freq} Hz)`);
        const expected = server.valuesFor(mine.freq);
        const p = fx.set.parameterByName(d.synth, "A Osc 1 Pitch");
        assert.ok(Math.abs(p.value - (-24 + expected[3] * 48)) < 1e-4, `Synth ${i + 1} got its own patch`);
      }
      // a macro on instance 1 moves only Synth 1
      const others = devices.slice(1).map((d) => fx.set.parameterByName(d.synth, "A Osc 1 Pitch").value);
      const streamed = devices.map((d) => d.env.remoteValues.length);
      devices[0].env.send("macro", 4, 1.0);
      await waitFor(() => devices[0].env.remoteValues.length > streamed[0], 3000, "instance 1's macro");
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepEqual(devices.slice(1).map((d) => fx.set.parameterByName(d.synth, "A Osc 1 Pitch").value), others);
      assert.deepEqual(devices.slice(1).map((d) => d.env.remoteValues.length), streamed.slice(1));
      assert.equal(new Set(server.analyses.map((a) => a.path)).size, n, "one capture file per instance");
    } finally {
      if (run) {
        run.devices.forEach((d) => d.env.close());
      }
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("fake server: streamed improvements play in order and the best is written once", { timeout: TEST_TIMEOUT_MS }, async () => {
  const server = await new FakePatchflowServer({ names: MODEL_NAMES, stream: 3, note: [57.0, 0.9, 1] }).start(null);
  let env = null;
  try {
    const started = await startDevice(server.port, null, { transport: 2 });
    env = started.env;
    const fx = started.fx;
    await waitFor(() => env.S.helloAcked, 5000, "hello answered");
    pickSynth(env);
    env.send("capturelength", 0.5);
    const undo = fx.set.undoEntries.length;
    env.send("matchbutton", 1);
    await waitFor(() => env.S.matchId > 0 && !env.S.refine && fx.set.undoEntries.length > undo, 8000, "the final write");
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(fx.set.undoEntries.length, undo + 1, "one undo step for the whole stream");
    const final = server.current.last;
    const pitch = fx.set.parameterByName(fx.synth, "A Osc 1 Pitch");
    assert.ok(Math.abs(pitch.value - (-24 + final[3] * 48)) < 1e-4, "the last improvement is stored");
    assert.match(env.status.score, /score 0.250 \(final\)/);
    assert.match(env.status.note, /note A3 .*play A4/);
    assert.equal(env.S.candidates.filter(Boolean).length, 4);
    env.send("candidate", 1);
    await waitFor(() => fx.set.undoEntries.length === undo + 2, 3000, "candidate B written");
  } finally {
    if (env) {
      env.close();
    }
    server.close();
  }
});

// ----------------------------------------------------------------------------------------------
// The real server

/** Every model bundle to test: $PATCHFLOW_E2E_MODEL, else each folder with a card.json in ../models. */
function findModelBundles() {
  if (process.env.PATCHFLOW_E2E_MODEL) {
    return [process.env.PATCHFLOW_E2E_MODEL];
  }
  const models = path.join(REPO, "models");
  if (!fs.existsSync(models)) {
    return [];
  }
  return fs.readdirSync(models).sort()
    .filter((name) => fs.existsSync(path.join(models, name, "card.json")))
    .map((name) => path.join(models, name));
}

/** The synth of a bundle's card ("kosc", "amsynth", ...), or null when the card is unreadable. */
function bundleSynth(model) {
  try {
    const card = JSON.parse(fs.readFileSync(path.join(model, "card.json"), "utf8"));
    return card.synth && card.synth.id ? card.synth.id : null;
  } catch (e) {
    return null;
  }
}

/**
 * The synth the device drives for a bundle: for a plug-in synth with a Live fixture
 * (testing/live_params/<synth>.json, written from the real plug-in by
 * scripts/live_params_fixture.py) a device with the plug-in's own parameters as Live lists them;
 * otherwise a mock synth named after the model's parameters (addSynthFor).
 */
function addSynthForModel(set, model, names) {
  const fixture = path.join(__dirname, "..", "testing", "live_params", `${bundleSynth(model)}.json`);
  if (!fs.existsSync(fixture)) {
    return { device: addSynthFor(set, names), name: "Model Synth", plugin: false };
  }
  const doc = JSON.parse(fs.readFileSync(fixture, "utf8"));
  const track = set.addTrack(doc.device);
  return { device: set.addDevice(track, doc.device, doc.parameters), name: doc.device, plugin: true };
}

/** The reason the real-server test cannot run here, or null with the serve flags it takes. */
function realServerPlan() {
  const help = spawnSync("patchflow", ["serve", "--help"], { encoding: "utf8", timeout: 60000 });
  if (help.error) {
    return { skip: `patchflow is not on PATH (${help.error.code})` };
  }
  const text = `${help.stdout}\n${help.stderr}`;
  if (help.status !== 0 || !text.includes("--osc-port")) {
    return { skip: `\`patchflow serve --help\` does not offer --osc-port yet: ${text.trim().split("\n").pop()}` };
  }
  const models = findModelBundles();
  if (!models.length) {
    return { skip: "no model bundle found (set PATCHFLOW_E2E_MODEL or add one under models/)" };
  }
  return { models, flags: ["--no-zmq", "--no-midi"].filter((f) => text.includes(f)) };
}

/** Skip with the reason, or fail when PATCHFLOW_E2E_REQUIRED is set (CI: the server must work). */
function skipOrFail(t, reason) {
  if (process.env.PATCHFLOW_E2E_REQUIRED) {
    throw new Error(`real-server e2e required but cannot run: ${reason}`);
  }
  t.skip(reason);
}

const PLAN = realServerPlan();

for (const model of PLAN.models || [null]) {
  const label = model ? path.basename(model) : "no model";
  test(`real \`patchflow serve\` (${label}): chunks and file path over UDP, applied to a synth`, { timeout: 180000 }, async (t) => {
    if (PLAN.skip) {
      skipOrFail(t, PLAN.skip);
      return;
    }
    await realServerSession(t, model, PLAN.flags);
  });
}

async function realServerSession(t, model, flags) {
  const oscPort = await freeUdpPort();
  const replyPort = await freeUdpPort();
  const args = ["serve", "--model", model, "--osc-port", String(oscPort), "--reply-port", String(replyPort),
    "--reply-host", "127.0.0.1", ...flags];
  const server = track(spawn("patchflow", args, { stdio: ["ignore", "pipe", "pipe"] }));
  let output = "";
  server.stdout.on("data", (d) => { output += d; });
  server.stderr.on("data", (d) => { output += d; });
  let exited = false;
  server.on("exit", () => { exited = true; });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pf-e2e-real-"));
  let env = null;
  try {
    let started;
    try {
      started = await startDevice(oscPort, replyPort, { transport: 2, tempDir: dir, namesTimeoutMs: 60000 });
    } catch (e) {
      if (exited) {
        skipOrFail(t, `patchflow serve did not start: ${output.trim().split("\n").slice(-3).join(" | ")}`);
        return;
      }
      throw new Error(`patchflow serve ${args.join(" ")} gave no names: ${e.message}\n${output}`);
    }
    env = started.env;
    const fx = started.fx;
    const names = Array.from(env.S.names);
    assert.ok(names.length > 0);
    const synth = addSynthForModel(fx.set, model, names);
    env.send("rescan");
    env.send("picktrack", 3);
    env.send("pickdevice", 0);
    assert.equal(env.S.target.deviceName, synth.name);
    if (synth.plugin) {
      // the real plug-in's names: every model parameter but the note properties finds its own
      const live = new Set(synth.device.parameters.map((p) => p.name));
      const expected = names.filter((n) => live.has(n));
      assert.ok(expected.length >= names.length - 1, `${expected.length}/${names.length} names are plug-in names`);
      assert.deepEqual(Array.from(env.S.match.pairs, (p) => p.modelName).sort(), expected.sort());
      assert.ok(env.S.match.pairs.every((p) => p.live.name === p.modelName), "each finds its own name");
    } else {
      assert.ok(env.S.match.pairs.length >= 0.9 * names.length, `${env.S.match.pairs.length}/${names.length} mapped`);
    }

    // chunked upload
    env.send("capturelength", 1.0);
    await matchAndWait(env, fx, 60000);
    assert.ok(Math.max(...env.datagramSizes) <= 8192);
    assertInRangeAndSnapped(synth.device);
    const written = fx.set.undoEntries[fx.set.undoEntries.length - 1].changes;
    assert.equal(written, env.S.match.pairs.length);
    assert.equal(env.status.error, undefined, env.status.error);
    if (synth.plugin) {
      // a plug-in parameter's Live range is its raw 0..1: the device writes the model's 0..1 value
      for (const pair of env.S.match.pairs) {
        const value = env.S.lastValues[pair.modelIndex];
        const p = fx.set.parameterByName(synth.device, pair.live.name);
        assert.ok(Math.abs(p.value - value) < 1e-6, `${pair.live.name} = ${p.value}, model sent ${value}`);
      }
    } else {
      assert.equal(fx.set.parameterByName(synth.device, "Master Volume").value, 0.8);
    }

    // file path (the server is local)
    env.send("transport", 1);
    env.setTone(220, 44100, 4);
    await matchAndWait(env, fx, 60000);
    assertInRangeAndSnapped(synth.device);
    assert.equal(env.status.error, undefined, env.status.error);

    // a macro, streamed through live.remote~
    if (env.S.nMacros > 0) {
      env.send("macro", 1, 0.9);
      await waitFor(() => env.remoteValues.length > 0, 30000, "macro values from the server");
      for (const r of env.remoteValues) {
        const p = fx.set.objects.get(r.id);
        assert.ok(r.value >= Math.min(p.min, p.max) && r.value <= Math.max(p.min, p.max));
      }
    }
  } finally {
    if (env) {
      env.close();
    }
    await stopProcess(server);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const n of [2, 4]) {
  test(`real \`patchflow serve\`: ${n} instances, one server, no cross-talk (needs /patchflow/hello)`, { timeout: 180000 }, async (t) => {
    if (PLAN.skip) {
      skipOrFail(t, PLAN.skip);
      return;
    }
    const model = PLAN.models[0];
    const oscPort = await freeUdpPort();
    const args = ["serve", "--model", model, "--osc-port", String(oscPort), ...PLAN.flags];
    const server = track(spawn("patchflow", args, { stdio: ["ignore", "pipe", "pipe"] }));
    let output = "";
    server.stdout.on("data", (d) => { output += d; });
    server.stderr.on("data", (d) => { output += d; });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pf-e2e-inst-"));
    let run = null;
    try {
      try {
        run = await startInstances(oscPort, n, { namesTimeoutMs: 60000, tempDir: dir });
      } catch (e) {
        // an older server replies only to its --reply-port: no instance hears it
        t.skip(`patchflow serve gave no names to automatic reply ports (no /patchflow/hello yet?): ${e.message}`);
        return;
      }
      const { fx, devices } = run;
      try {
        await waitFor(() => devices.every((d) => d.env.S.helloAcked), 10000, "hello answered");
      } catch (e) {
        t.skip("patchflow serve does not answer /patchflow/hello yet (server side of issue 18 item 1)");
        return;
      }
      await matchAll(fx, devices, 120000);
      for (const d of devices) {
        assertInRangeAndSnapped(d.synth);
        assert.equal(d.env.status.error, undefined, d.env.status.error);
      }
      // each synth holds its own instance's result. The sounds are sines at 220 * (i + 1) Hz: a
      // model with a pitch parameter is told the detected note and may rightly answer one patch
      // for all of them (played at different keys), so each instance's note tells them apart
      // there; other models must answer distinct patches.
      const notes = devices.map((d) => d.env.status.note);
      if (notes.every((note) => note !== "-")) {
        const names = ["A3", "A4", "E5", "A5"];
        devices.forEach((d, i) => assert.ok(notes[i].startsWith(`note ${names[i]}`),
          `instance ${i + 1} heard its own sound (${220 * (i + 1)} Hz): ${notes[i]}`));
      } else {
        const patches = devices.map((d) => JSON.stringify(d.synth.parameters.map((p) => p.value)));
        assert.equal(new Set(patches).size, n, `${n} distinct patches:\n${output.slice(-2000)}`);
      }
      for (const d of devices) {
        const written = d.synth.parameters.slice(1).map((p) => p.value);
        const pairs = d.env.S.match.pairs;
        for (const pair of pairs) {
          const v = d.env.S.lastValues[pair.modelIndex];
          const expect = PF.scaleToLive(v, pair.live, pair.range);
          assert.ok(Math.abs(written[pair.live.index - 1] - expect) < 1e-6, `${pair.live.name}`);
        }
      }
    } finally {
      if (run) {
        run.devices.forEach((d) => d.env.close());
      }
      await stopProcess(server);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("real `patchflow serve --budget-s`: streamed refinement, candidates and note, one undo step", { timeout: 180000 }, async (t) => {
  if (PLAN.skip) {
    skipOrFail(t, PLAN.skip);
    return;
  }
  const help = spawnSync("patchflow", ["serve", "--help"], { encoding: "utf8", timeout: 60000 });
  if (!`${help.stdout}`.includes("--budget-s")) {
    t.skip("patchflow serve has no --budget-s (search streaming) yet");
    return;
  }
  const model = PLAN.models.find((m) => path.basename(m) === "kosc4") || PLAN.models[0];
  const oscPort = await freeUdpPort();
  const args = ["serve", "--model", model, "--osc-port", String(oscPort), "--budget-s", "5",
    "--search-renders", "24", ...PLAN.flags];
  const server = track(spawn("patchflow", args, { stdio: ["ignore", "pipe", "pipe"] }));
  let output = "";
  server.stdout.on("data", (d) => { output += d; });
  server.stderr.on("data", (d) => { output += d; });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pf-e2e-stream-"));
  let env = null;
  try {
    const started = await startDevice(oscPort, null, { transport: 0, tempDir: dir, namesTimeoutMs: 60000 });
    env = started.env;
    const fx = started.fx;
    await waitFor(() => env.S.helloAcked, 10000, "hello answered");
    const names = Array.from(env.S.names);
    addSynthForModel(fx.set, model, names);
    env.send("rescan");
    env.send("picktrack", 3);
    env.send("pickdevice", 0);
    env.send("capturelength", 1.0);
    const undo = fx.set.undoEntries.length;
    env.send("matchbutton", 1);
    await waitFor(() => env.S.matchId > 0 && !env.S.refine && fx.set.undoEntries.length > undo, 120000,
      `the final write\n${output.slice(-2000)}`);
    assert.equal(fx.set.undoEntries.length, undo + 1, "one undo step for the whole match");
    assert.equal(env.status.error, undefined, env.status.error);
    if (/one answer/.test(env.status.score)) {
      t.diagnostic("the server sent no stream for this match (no searcher for this model?)");
      return;
    }
    assert.match(env.status.score, /final/);
    assert.ok(env.S.candidates.filter(Boolean).length >= 1, "candidates arrived");
    // a note comes only for models with a pitch parameter (k-osc has none)
    if (env.status.note !== "-") {
      assert.match(env.status.note, /^(note [A-G]|unpitched)/);
    }
    t.diagnostic(`score: ${env.status.score}; candidates: ${env.status.candidates}; note: ${env.status.note}`);
  } finally {
    if (env) {
      env.close();
    }
    await stopProcess(server);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
