#!/usr/bin/env node
/*
 * Run the device's JavaScript against a patchflow OSC server and print what happened as JSON.
 * Used by tests/test_max_for_live.py to drive the Python bridge, and handy by hand:
 *
 *   node max_for_live/testing/device_session.js --send-port 9130 --reply-port 9131 [--file-dir DIR]
 *
 * The session: wait for the model's names, add a mock synth whose parameters carry those names
 * (varied ranges, every third one quantized), pick it, match a 440 Hz tone as chunks, match a
 * 220 Hz tone as a WAV file path (when --file-dir is given), turn macro 1, and report the
 * synth's parameters, the undo entries, live.remote~ traffic, statuses and errors.
 */
"use strict";

const { MaxEnv, waitFor } = require("./max_env.js");
const { makeLiveSet } = require("./fixtures.js");

function parseArgs(argv) {
  const out = { sendPort: 9130, replyPort: 9131, fileDir: null, timeoutMs: 60000 };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === "--send-port") {
      out.sendPort = Number(value);
    } else if (key === "--reply-port") {
      out.replyPort = Number(value);
    } else if (key === "--file-dir") {
      out.fileDir = value;
    } else if (key === "--timeout-ms") {
      out.timeoutMs = Number(value);
    } else {
      throw new Error(`unknown option ${key}`);
    }
  }
  return out;
}

/** A mock synth whose parameters are named like the model's, with varied ranges. */
function addSynthFor(set, names) {
  const track = set.addTrack("Model Synth");
  const params = names.map((name, i) => {
    const live = name.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
    if (i % 3 === 2) {
      const n = 2 + (i % 4);
      return { name: live, quantized: true, items: Array.from({ length: n }, (_, k) => `choice ${k}`) };
    }
    return { name: live, min: -i, max: 10 * i + 1 };
  });
  params.push({ name: "Master Volume", min: 0, max: 1, value: 0.8 });
  return set.addDevice(track, "Model Synth", params);
}

async function run(opts) {
  const fx = makeLiveSet();
  const env = new MaxEnv({ clock: "real", live: fx.set });
  const report = { steps: [] };
  try {
    // inside try: a failed start still closes the sockets (and the process can exit)
    env.setTone(440, 44100, 4);
    await env.connectUdp(opts.sendPort, opts.replyPort);
    env.load();
    env.context.COMMIT_DELAY_MS = 300;
    env.send("samplerate", 44100);
    env.send("sendport", opts.sendPort);
    env.send("replyport", opts.replyPort);
    env.send("transport", 2);
    env.send("init");
    await waitFor(() => env.S.names !== null, opts.timeoutMs, "the model's parameter names");
    const names = Array.from(env.S.names);
    report.names = names;
    report.model = env.status.model;
    const synth = addSynthFor(fx.set, names);
    env.send("rescan");
    env.send("picktrack", 3);
    env.send("pickdevice", 0);
    report.mapped = env.S.match.pairs.length;

    const matchOnce = async (label) => {
      const undo = fx.set.undoEntries.length;
      const before = env.S.matchId;
      env.send("matchbutton", 1);
      await waitFor(() => (env.S.matchId !== before && fx.set.undoEntries.length > undo) || env.S.awaitingMatch === -1 && env.status.capture === "match failed",
        opts.timeoutMs, `match (${label})`);
      report.steps.push({
        label,
        capture: env.status.capture,
        error: env.status.error || null,
        latency: env.status.latency || null,
        undoChanges: fx.set.undoEntries.length > undo ? fx.set.undoEntries[fx.set.undoEntries.length - 1].changes : 0,
      });
    };

    env.send("capturelength", 1.0);
    await matchOnce("chunks");
    if (opts.fileDir) {
      env.send("transport", 1);
      env.send("tempdir", opts.fileDir);
      env.setTone(220, 44100, 4);
      await matchOnce("file");
    }
    if (env.S.nMacros > 0) {
      const undo = fx.set.undoEntries.length;
      const streamed = env.remoteValues.length; // a streaming server's first answers play here too
      env.send("macro", 1, 0.9);
      await waitFor(() => env.remoteValues.length > streamed, opts.timeoutMs, "macro values");
      await waitFor(() => fx.set.undoEntries.length > undo, opts.timeoutMs, "the commit after the macro");
      report.macroRemoteValues = env.remoteValues.length - streamed;
    }
    report.helloAcked = env.S.helloAcked;
    report.nMacros = env.S.nMacros;
    report.params = synth.parameters.map((p) => ({
      name: p.name, min: p.min, max: p.max, quantized: p.quantized, value: p.value,
    }));
    report.maxDatagram = Math.max(...env.datagramSizes);
    report.status = env.status;
    report.errors = env.errors.map(String);
  } finally {
    env.close();
  }
  return report;
}

if (require.main === module) {
  const opts = parseArgs(process.argv.slice(2));
  // never hang: give up (and exit non-zero) a little after the longest wait
  const guard = setTimeout(() => {
    process.stderr.write(`device_session: no result after ${4 * opts.timeoutMs} ms\n`);
    process.exit(2);
  }, 4 * opts.timeoutMs);
  guard.unref();
  run(opts).then(
    (report) => {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    },
    (err) => {
      process.stderr.write(`${err.stack || err}\n`);
      process.exitCode = 1;
    },
  );
}

module.exports = { run, addSynthFor };
