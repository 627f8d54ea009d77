/* A small Live Set and model used by the device tests. */
"use strict";

const { MockLiveSet } = require("./max_env.js");

/** Parameter names as a model's spec would send them (spec order). */
const MODEL_NAMES = [
  "cutoff_hz",
  "resonance",
  "osc1_wave",
  "osc1_pitch",
  "amp_attack_s",
  "noise_volume",
  "filter_type",
  "pitch", // a note property: no Live parameter
];

/** The synth as Live shows it (after "Device On"). */
const SYNTH_PARAMS = [
  { name: "Cutoff", min: 20, max: 20000, value: 1000 },
  { name: "Resonance", min: 0, max: 1, value: 0.2 },
  { name: "Osc 1 Wave", quantized: true, items: ["Sine", "Tri", "Saw", "Square", "Noise"], value: 0 },
  { name: "A Osc 1 Pitch", min: -24, max: 24, value: 0 },
  { name: "Amp Attack", min: 0, max: 1, value: 0 },
  { name: "Noise Volume", min: 0, max: 1, value: 0 },
  { name: "Filter Type", quantized: true, items: ["LP", "HP", "BP"], value: 0 },
  { name: "Master Volume", min: 0, max: 1, value: 0.8 },
];

function makeLiveSet() {
  const set = new MockLiveSet();
  const synthTrack = set.addTrack("Synth");
  const synth = set.addDevice(synthTrack, "Surge XT", SYNTH_PARAMS);
  const self = set.addDevice(synthTrack, "patchflow", [{ name: "Macro 1" }], { self: true, className: "MxDeviceAudioEffect" });
  const bassTrack = set.addTrack("Bass");
  const operator = set.addDevice(bassTrack, "Operator", [
    { name: "Filter Freq", min: 0, max: 1 },
    { name: "Filter Res", min: 0, max: 1.25 },
  ], { className: "Operator" });
  const keysTrack = set.addTrack("Keys");
  const rack = set.addDevice(keysTrack, "Instrument Rack", [{ name: "Macro 1", min: 0, max: 127 }], { className: "InstrumentGroupDevice" });
  const chain = set.addChain(rack, "Piano");
  const piano = set.addDevice(chain, "Piano Synth", [{ name: "Cutoff", min: 0, max: 1 }]);
  const returnTrack = set.addReturnTrack("Reverb");
  set.addDevice(returnTrack, "Reverb", [{ name: "Decay Time", min: 0.2, max: 60 }], { className: "Reverb" });
  return { set, synth, self, operator, rack, piano };
}

module.exports = { MODEL_NAMES, SYNTH_PARAMS, makeLiveSet };
