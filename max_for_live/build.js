#!/usr/bin/env node
/*
 * build.js - generate the patchflow Max for Live device from source.
 *
 *   node build.js          write patchflow.maxpat (readable source, committed),
 *                          dist/patchflow.amxd + dist/patchflow_device.js + dist/patchflow_server.js
 *                          (the unfrozen device and its scripts, for development) and
 *                          dist/patchflow_frozen.amxd (the device with both scripts embedded, laid
 *                          out like a device frozen in Max: what a musician installs)
 *   node build.js --check  validate the generated graph and check that the committed files are
 *                          up to date with this script and src/ (writes nothing; exit 1 if not)
 *
 * Only node built-ins; only stock Max objects. The builder validates its own graph against a
 * small table of the objects it uses (inlets, outlets, outlet types, which inlets take signals).
 */
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const ROOT = __dirname;
const SRC_DIR = path.join(ROOT, "src");
const DIST_DIR = path.join(ROOT, "dist");
const CORE_JS = path.join(SRC_DIR, "patchflow_core.js");
const DEVICE_JS = path.join(SRC_DIR, "patchflow_device.js");
const SERVER_JS = path.join(SRC_DIR, "patchflow_server.js");
const SERVER_NAME = "patchflow_server.js";
const SERVER_PATH = path.join(DIST_DIR, SERVER_NAME);
const FROZEN_PATH = path.join(DIST_DIR, "patchflow_frozen.amxd");
const DEVICE_FILE_NAME = "patchflow.amxd";
const MAXPAT_PATH = path.join(ROOT, "patchflow.maxpat");
const AMXD_PATH = path.join(DIST_DIR, "patchflow.amxd");
const BUNDLE_NAME = "patchflow_device.js";
const BUNDLE_PATH = path.join(DIST_DIR, BUNDLE_NAME);

/** fourcc of an audio effect ('aaaa') read as a big-endian int, as Max stores project.amxdtype. */
const AMXD_TYPE_AUDIO_EFFECT = 1633771873;
const REMOTE_SLOTS = 64;
const N_MACROS = 8;
const CAPTURE_BUFFER = "---pf_cap";
const FILE_BUFFER = "---pf_file";
const CAPTURE_MS = 4000;

// ----------------------------------------------------------------------------------------------
// The stock objects this device uses

function range(n) {
  return Array.from({ length: n }, (_, i) => i);
}

function spec(inlets, outlettype, signalInlets) {
  return { inlets, outlets: outlettype.length, outlettype, signalInlets: signalInlets || [] };
}

const TRIGGER_TYPES = { b: "bang", i: "int", f: "float", l: "list" };

function triggerSpec(args) {
  const types = args.length ? args : ["b", "b"];
  return spec(1, types.map((t) => TRIGGER_TYPES[t] || ""));
}

/** Text objects (maxclass "newobj"), keyed by class name; args are the words after it. */
const OBJECT_SPECS = {
  "plugin~": () => spec(2, ["signal", "signal"]),
  "plugout~": () => spec(2, ["signal", "signal"], [0, 1]),
  "record~": (args) => {
    const channels = args.length > 1 && /^\d+$/.test(args[1]) ? Number(args[1]) : 1;
    return spec(channels + 2, ["signal"], range(channels + 2));
  },
  "buffer~": () => spec(1, ["float", "bang"]),
  "info~": () => spec(1, ["float", "list", "float", "float", "float", "float", "float", "", "int", ""]),
  js: (args, ctx) => spec(ctx.jsInlets, range(ctx.jsOutlets).map(() => "")),
  udpsend: () => spec(1, []),
  udpreceive: () => spec(1, [""]),
  "live.thisdevice": () => spec(1, ["bang", "int", "int"]),
  "dspstate~": () => spec(1, ["int", "float", "int", "int"]),
  route: (args) => spec(2, range(args.length + 1).map(() => "")),
  prepend: () => spec(1, [""]),
  t: triggerSpec,
  trigger: triggerSpec,
  opendialog: () => spec(1, ["", "bang"]),
  savedialog: () => spec(1, ["", "", "bang"]),
  pattr: () => spec(1, ["", "", ""]),
  "live.remote~": () => spec(2, [""], [0]),
  "node.script": () => spec(1, ["", ""]),
};

/** Boxes with their own maxclass. */
const UI_SPECS = {
  message: spec(2, [""]),
  comment: spec(1, []),
  "live.dial": spec(1, ["", "float"]),
  "live.text": spec(1, ["", ""]),
  "live.numbox": spec(1, ["", "float"]),
  "live.menu": spec(1, ["", "", "float"]),
  "live.drop": spec(1, ["", ""]),
  umenu: spec(1, ["int", "", ""]),
  textedit: spec(1, ["", "int", "", ""]),
};

function splitText(text) {
  return String(text).trim().split(/\s+/);
}

/** The spec of a box, or null when the builder does not know its class. */
function specOf(box, ctx) {
  if (box.maxclass === "newobj") {
    const words = splitText(box.text);
    const make = OBJECT_SPECS[words[0]];
    return make ? make(words.slice(1), ctx) : null;
  }
  return UI_SPECS[box.maxclass] || null;
}

/** Read `inlets = N;` and `outlets = M;` from the device script. */
function jsPorts(source) {
  const inl = /^\s*inlets\s*=\s*(\d+)\s*;/m.exec(source);
  const outl = /^\s*outlets\s*=\s*(\d+)\s*;/m.exec(source);
  if (!inl || !outl) {
    throw new Error("patchflow_device.js must set `inlets = N;` and `outlets = M;`");
  }
  return { jsInlets: Number(inl[1]), jsOutlets: Number(outl[1]) };
}

/** The device script Max loads: the core followed by the device code. */
function bundleJs() {
  const core = fs.readFileSync(CORE_JS, "utf8");
  const device = fs.readFileSync(DEVICE_JS, "utf8");
  return (
    "/* Generated by max_for_live/build.js from src/patchflow_core.js and " +
    "src/patchflow_device.js. Do not edit: edit the sources and rebuild. */\n\n" +
    core.trimEnd() +
    "\n\n" +
    device.trimEnd() +
    "\n"
  );
}

// ----------------------------------------------------------------------------------------------
// Patcher construction

class PatchBuilder {
  constructor(ctx) {
    this.ctx = ctx;
    this.boxes = [];
    this.lines = [];
    this.byId = new Map();
    this.counter = 0;
  }

  nextId(hint) {
    this.counter += 1;
    return hint ? `obj-${hint}` : `obj-${this.counter}`;
  }

  add(box) {
    if (this.byId.has(box.id)) {
      throw new Error(`duplicate box id ${box.id}`);
    }
    const s = specOf(box, this.ctx);
    if (!s) {
      throw new Error(`unknown object class in box ${box.id}: ${box.maxclass} ${box.text || ""}`);
    }
    box.numinlets = s.inlets;
    box.numoutlets = s.outlets;
    if (s.outlets > 0) {
      box.outlettype = s.outlettype.slice();
    }
    this.boxes.push(box);
    this.byId.set(box.id, box);
    return box.id;
  }

  /** A text object. */
  obj(text, x, y, opts) {
    const o = opts || {};
    const box = {
      id: this.nextId(o.id),
      maxclass: "newobj",
      patching_rect: [x, y, o.width || Math.max(40, 7 * String(text).length + 14), 22],
      text,
    };
    Object.assign(box, o.attrs || {});
    return this.add(box);
  }

  message(text, x, y) {
    return this.add({
      id: this.nextId(),
      maxclass: "message",
      patching_rect: [x, y, Math.max(30, 7 * text.length + 12), 22],
      text,
    });
  }

  comment(text, patchRect, presRect, attrs) {
    const box = {
      id: this.nextId(),
      maxclass: "comment",
      patching_rect: patchRect,
      text,
    };
    if (presRect) {
      box.presentation = 1;
      box.presentation_rect = presRect;
    }
    Object.assign(box, attrs || {});
    return this.add(box);
  }

  /** A UI box shown in the device (presentation mode). */
  ui(maxclass, patchRect, presRect, attrs) {
    const box = {
      id: this.nextId(),
      maxclass,
      patching_rect: patchRect,
      presentation: 1,
      presentation_rect: presRect,
    };
    Object.assign(box, attrs || {});
    return this.add(box);
  }

  connect(src, outlet, dst, inlet) {
    this.lines.push({ patchline: { destination: [dst, inlet], source: [src, outlet] } });
  }
}

/** Attributes of a Live parameter (saved_attribute_attributes.valueof). */
function parameter(longname, shortname, fields) {
  return {
    parameter_enable: 1,
    saved_attribute_attributes: {
      valueof: Object.assign(
        { parameter_longname: longname, parameter_shortname: shortname },
        fields,
      ),
    },
    varname: longname,
  };
}

const VISIBLE = 0; // automated and stored: mappable, automatable
const STORED_ONLY = 1;
const HIDDEN = 2;

function liveButton(longname, label, invisible, annotation) {
  return Object.assign(
    parameter(longname, label, {
      parameter_enum: ["off", "on"],
      parameter_mmax: 1,
      parameter_type: 2,
      parameter_invisible: invisible,
      parameter_info: annotation,
    }),
    { mode: 0, text: label, texton: label, annotation },
  );
}

function buildPatcher(ctx) {
  const b = new PatchBuilder(ctx);
  const jsText = `js ${BUNDLE_NAME} ${CAPTURE_BUFFER} ${FILE_BUFFER}`;

  // --- the script -----------------------------------------------------------------------------
  const js = b.obj(jsText, 520, 470, {
    id: "js",
    attrs: { saved_object_attributes: { filename: BUNDLE_NAME, parameter_enable: 0 } },
  });
  const toJs = (src, outlet) => b.connect(src, outlet || 0, js, 0);
  const prepend = (word, x, y) => {
    const p = b.obj(`prepend ${word}`, x, y);
    toJs(p);
    return p;
  };

  // --- audio: pass-through and capture --------------------------------------------------------
  b.comment("audio passes through; record~ captures into a device-local buffer", [20, 20, 420, 20]);
  const plugin = b.obj("plugin~", 20, 50, { id: "plugin" });
  const plugout = b.obj("plugout~", 20, 170, { id: "plugout" });
  b.connect(plugin, 0, plugout, 0);
  b.connect(plugin, 1, plugout, 1);
  const record = b.obj(`record~ ${CAPTURE_BUFFER} 2`, 120, 110, { id: "record" });
  b.connect(plugin, 0, record, 0);
  b.connect(plugin, 1, record, 1);
  b.obj(`buffer~ ${CAPTURE_BUFFER} ${CAPTURE_MS} 2`, 120, 170, { id: "capture-buffer" });
  b.connect(js, 2, record, 0);

  // --- start-up -------------------------------------------------------------------------------
  const thisdevice = b.obj("live.thisdevice", 320, 50, { id: "thisdevice" });
  const initTrigger = b.obj("t b b", 320, 90);
  b.connect(thisdevice, 0, initTrigger, 0);
  const dsp = b.obj("dspstate~", 400, 130);
  b.connect(initTrigger, 1, dsp, 0);
  const srPre = prepend("samplerate", 400, 170);
  b.connect(dsp, 1, srPre, 0);
  const initMsg = b.message("init", 320, 130);
  b.connect(initTrigger, 0, initMsg, 0);
  toJs(initMsg);

  // --- network --------------------------------------------------------------------------------
  // --- the server process (Node for Max) ------------------------------------------------------
  const node = b.obj(`node.script ${SERVER_NAME} @autostart 1 @watch 0`, 1100, 420, {
    id: "node",
    attrs: { saved_object_attributes: { autostart: 1, defer: 0, watch: 0 } },
  });
  b.connect(js, 8, node, 0);
  const procPre = prepend("serverproc", 1100, 460);
  b.connect(node, 0, procPre, 0);
  const nodePre = prepend("nodestate", 1240, 460);
  b.connect(node, 1, nodePre, 0);

  const udpsend = b.obj(`udpsend 127.0.0.1 9130`, 520, 560, { id: "udpsend" });
  b.connect(js, 0, udpsend, 0);
  const udpreceive = b.obj(`udpreceive 9131`, 700, 380, { id: "udpreceive" });
  b.connect(js, 1, udpreceive, 0);
  toJs(udpreceive);

  // --- persistence ----------------------------------------------------------------------------
  // a text object in parameter mode keeps parameter_enable in saved_object_attributes
  const stateAttrs = Object.assign(
    parameter("patchflow state", "state", { parameter_invisible: STORED_ONLY, parameter_type: 3 }),
    { saved_object_attributes: { parameter_enable: 1, parameter_mappable: 0 }, varname: "pf_state" },
  );
  delete stateAttrs.parameter_enable;
  const pattr = b.obj("pattr @parameter_enable 1", 880, 380, { id: "state", attrs: stateAttrs });
  b.connect(js, 6, pattr, 0);
  const restore = prepend("restore", 880, 420);
  b.connect(pattr, 0, restore, 0);

  // --- presentation: capture column -----------------------------------------------------------
  b.comment("patchflow", [20, 250, 80, 20], [4, 0, 68, 16], { fontface: 1 });
  const matchButton = b.ui("live.text", [20, 280, 64, 30], [4, 20, 64, 30],
    liveButton("Match", "Match", VISIBLE, "Record the input for Length seconds and match it."));
  const matchPre = prepend("matchbutton", 20, 320);
  b.connect(matchButton, 0, matchPre, 0);

  b.comment("Length (s)", [100, 270, 70, 20], [76, 18, 64, 16]);
  const lengthBox = b.ui("live.numbox", [100, 290, 44, 15], [76, 36, 44, 15],
    parameter("Length", "Length", {
      parameter_type: 0,
      parameter_mmin: 0.5,
      parameter_mmax: 4.0,
      parameter_initial_enable: 1,
      parameter_initial: [2.0],
      parameter_unitstyle: 1,
      parameter_invisible: VISIBLE,
      parameter_info: "Capture length in seconds (0.5 to 4).",
    }));
  const lengthPre = prepend("capturelength", 100, 320);
  b.connect(lengthBox, 0, lengthPre, 0);

  const drop = b.ui("live.drop", [20, 360, 136, 44], [4, 56, 136, 42],
    Object.assign(
      parameter("Audio File", "File", { parameter_type: 4, parameter_invisible: STORED_ONLY }),
      { legend: "Drop an audio file" },
    ));
  const dropPre = prepend("dropfile", 20, 420);
  b.connect(drop, 0, dropPre, 0);

  // dropped files for a remote server: load into a second buffer, read its rate, then send
  const fileBuffer = b.obj(`buffer~ ${FILE_BUFFER}`, 180, 420, { id: "file-buffer" });
  const fileTrigger = b.obj("t b b", 180, 460);
  b.connect(fileBuffer, 1, fileTrigger, 0);
  const info = b.obj(`info~ ${FILE_BUFFER}`, 240, 500);
  b.connect(fileTrigger, 1, info, 0);
  const filesr = prepend("filesr", 240, 540);
  b.connect(info, 0, filesr, 0);
  const loadedMsg = b.message("fileloaded", 180, 540);
  b.connect(fileTrigger, 0, loadedMsg, 0);
  toJs(loadedMsg);

  // --- presentation: target and mapping column ------------------------------------------------
  b.comment("Target", [20, 620, 60, 20], [150, 0, 60, 16], { fontface: 1 });
  const trackMenu = b.ui("umenu", [20, 650, 120, 20], [150, 18, 118, 20], { varname: "track menu" });
  const trackPre = prepend("picktrack", 20, 680);
  b.connect(trackMenu, 0, trackPre, 0);
  const deviceMenu = b.ui("umenu", [150, 650, 160, 20], [150, 40, 206, 20], { varname: "device menu" });
  const devicePre = prepend("pickdevice", 150, 680);
  b.connect(deviceMenu, 0, devicePre, 0);
  const pick = b.ui("live.text", [320, 650, 40, 16], [272, 20, 40, 16],
    liveButton("Pick", "Pick", HIDDEN, "Then click the synth's title bar or one of its controls."));
  const pickPre = prepend("pickarm", 320, 680);
  b.connect(pick, 0, pickPre, 0);
  const refresh = b.ui("live.text", [370, 650, 44, 16], [316, 20, 40, 16],
    liveButton("Refresh", "Refresh", HIDDEN, "Re-read the tracks and the target's parameters."));
  const refreshPre = prepend("rescan", 370, 680);
  b.connect(refresh, 0, refreshPre, 0);

  b.comment("Mapping (model -> Live)", [20, 720, 160, 20], [150, 80, 160, 16], { fontface: 1 });
  const modelMenu = b.ui("umenu", [20, 750, 200, 20], [150, 97, 206, 20], { varname: "model menu" });
  const modelPre = prepend("modelparam", 20, 780);
  b.connect(modelMenu, 0, modelPre, 0);
  const liveMenu = b.ui("umenu", [230, 750, 200, 20], [150, 119, 206, 20], { varname: "live menu" });
  const livePre = prepend("liveparam", 230, 780);
  b.connect(liveMenu, 0, livePre, 0);
  const auto = b.ui("live.text", [20, 820, 40, 16], [150, 143, 40, 16],
    liveButton("Auto Map", "Auto", HIDDEN, "Forget manual mapping edits and match by name."));
  const autoPre = prepend("automap", 20, 850);
  b.connect(auto, 0, autoPre, 0);
  const load = b.ui("live.text", [70, 820, 40, 16], [194, 143, 40, 16],
    liveButton("Load Map", "Load", HIDDEN, "Load a mapping file (JSON)."));
  const loadPre = prepend("loadmapbutton", 70, 850);
  b.connect(load, 0, loadPre, 0);
  const save = b.ui("live.text", [120, 820, 40, 16], [238, 143, 40, 16],
    liveButton("Save Map", "Save", HIDDEN, "Save the current mapping as a JSON file."));
  const savePre = prepend("savemapbutton", 120, 850);
  b.connect(save, 0, savePre, 0);
  const openDialog = b.obj("opendialog", 230, 880);
  const readPre = prepend("readmap", 230, 910);
  b.connect(openDialog, 0, readPre, 0);
  const saveDialog = b.obj("savedialog", 330, 880);
  const writePre = prepend("writemap", 330, 910);
  b.connect(saveDialog, 0, writePre, 0);

  // --- presentation: macros -------------------------------------------------------------------
  b.comment("Macros", [520, 620, 60, 20], [366, 0, 60, 16], { fontface: 1 });
  const macroNames = [];
  const macroDials = [];
  for (let k = 0; k < N_MACROS; k++) {
    const name = `Macro ${k + 1}`;
    macroNames.push(name);
    const col = k % 4;
    const row = Math.floor(k / 4);
    const dial = b.ui("live.dial", [520 + 60 * k, 650, 44, 48], [366 + 50 * col, 16 + 52 * row, 44, 48],
      parameter(name, `M${k + 1}`, {
        parameter_type: 0,
        parameter_mmin: 0.0,
        parameter_mmax: 1.0,
        parameter_initial_enable: 1,
        parameter_initial: [0.5],
        parameter_unitstyle: 1,
        parameter_invisible: VISIBLE,
        parameter_info: `Latent macro ${k + 1}: 0.5 is the matched patch.`,
      }));
    const pre = prepend(`macro ${k + 1}`, 520 + 60 * k, 710);
    b.connect(dial, 0, pre, 0);
    macroDials.push(dial);
  }
  const morphDial = b.ui("live.dial", [1000, 650, 44, 48], [568, 42, 44, 48],
    parameter("Morph", "Morph", {
      parameter_type: 0,
      parameter_mmin: 0.0,
      parameter_mmax: 1.0,
      parameter_initial_enable: 1,
      parameter_initial: [1.0],
      parameter_unitstyle: 1,
      parameter_invisible: VISIBLE,
      parameter_info: "0 = the previous match, 1 = the last match.",
    }));
  const morphPre = prepend("morph", 1000, 710);
  b.connect(morphDial, 0, morphPre, 0);

  // --- presentation: server -------------------------------------------------------------------
  b.comment("Server", [1100, 20, 60, 20], [624, 0, 60, 16], { fontface: 1 });
  const hostEdit = b.ui("textedit", [1100, 50, 100, 20], [624, 18, 96, 18], {
    varname: "host",
    text: "127.0.0.1",
    keymode: 1,
    lines: 1,
    parameter_enable: 0,
  });
  b.comment("< host; send, reply port", [1210, 50, 140, 20], [722, 19, 98, 16]);
  const hostRoute = b.obj("route text", 1100, 80);
  b.connect(hostEdit, 0, hostRoute, 0);
  const hostPre = prepend("host", 1100, 110);
  b.connect(hostRoute, 0, hostPre, 0);
  const portField = (longname, label, initial, x, presX, word, min) => {
    const box = b.ui("live.numbox", [x, 150, 50, 15], [presX, 38, 48, 15],
      parameter(longname, label, {
        parameter_type: 0,
        parameter_mmin: min,
        parameter_mmax: 65535,
        parameter_initial_enable: 1,
        parameter_initial: [initial],
        parameter_unitstyle: 0,
        parameter_invisible: STORED_ONLY,
        parameter_info: min === 0 ? `${longname} (0: automatic, one port per instance)` : longname,
      }));
    const pre = prepend(word, x, 180);
    b.connect(box, 0, pre, 0);
  };
  portField("Send Port", "Send", 9130, 1100, 624, "sendport", 1024);
  portField("Reply Port", "Reply", 0, 1160, 676, "replyport", 0);
  const transportMenu = b.ui("live.menu", [1220, 150, 60, 15], [728, 38, 60, 15],
    parameter("Transport", "Transport", {
      parameter_type: 2,
      parameter_enum: ["auto", "file", "chunks"],
      parameter_mmax: 2,
      parameter_invisible: STORED_ONLY,
      parameter_info: "auto: file path when the server is on this computer, else chunked OSC.",
    }));
  const transportPre = prepend("transport", 1220, 180);
  b.connect(transportMenu, 0, transportPre, 0);

  // --- status lines ---------------------------------------------------------------------------
  // --- presentation: refinement and candidates ------------------------------------------------
  b.comment("Match", [1400, 20, 60, 20], [830, 0, 40, 16], { fontface: 1 });
  const candidateButtons = [];
  for (let k = 0; k < 4; k++) {
    const letter = "ABCD"[k];
    const button = b.ui("live.text", [1400 + 44 * k, 200, 40, 16], [830 + 28 * k, 102, 26, 16],
      liveButton(`Candidate ${letter}`, letter, HIDDEN, `Audition candidate ${letter} (one undo step).`));
    const pre = b.obj(`prepend candidate ${k}`, 1400 + 44 * k, 230);
    b.connect(button, 0, pre, 0);
    toJs(pre);
    candidateButtons.push(button);
  }

  // --- presentation: the server process ------------------------------------------------------
  b.comment("Server process", [1400, 280, 100, 20], [1036, 0, 100, 16], { fontface: 1 });
  const procButton = (longname, label, word, x, presX) => {
    const button = b.ui("live.text", [x, 310, 40, 16], [presX, 18, 44, 16],
      liveButton(longname, label, HIDDEN, `${label} patchflow serve on this computer.`));
    const pre = prepend(word, x, 340);
    b.connect(button, 0, pre, 0);
  };
  procButton("Server Start", "Start", "serverstart", 1400, 1036);
  procButton("Server Stop", "Stop", "serverstop", 1450, 1082);
  procButton("Server Restart", "Restart", "serverrestart", 1500, 1128);
  const autoToggle = b.ui("live.text", [1550, 310, 40, 16], [1176, 18, 44, 16],
    Object.assign(parameter("Server Auto", "Auto", {
      parameter_enum: ["off", "on"],
      parameter_mmax: 1,
      parameter_type: 2,
      parameter_invisible: HIDDEN,
      parameter_info: "Start the server when the device loads.",
    }), { mode: 1, text: "Auto", texton: "Auto" }));
  const serverAutoPre = prepend("serverauto", 1550, 340);
  b.connect(autoToggle, 0, serverAutoPre, 0);
  const settingEdit = (varname, initial, y, presY, word) => {
    b.comment(varname.replace(/^server /, "").replace("plugin", "plug-in"), [1340, y, 60, 20], [1036, presY, 50, 16]);
    const edit = b.ui("textedit", [1400, y, 180, 20], [1086, presY, 134, 16], {
      varname, text: initial, keymode: 1, lines: 1, parameter_enable: 0,
    });
    const r = b.obj("route text", 1590, y);
    b.connect(edit, 0, r, 0);
    const pre = prepend(word, 1680, y);
    b.connect(r, 0, pre, 0);
    return edit;
  };
  const commandEdit = settingEdit("server command", "", 370, 38, "servercommand");
  const modelEdit = settingEdit("server model", "", 400, 56, "servermodel");
  const pluginEdit = settingEdit("server plugin", "", 430, 74, "serverplugin");
  const budgetBox = b.ui("live.numbox", [1400, 460, 44, 15], [1036, 148, 40, 15],
    parameter("Search Seconds", "Search", {
      parameter_type: 0,
      parameter_mmin: 0.0,
      parameter_mmax: 30.0,
      parameter_initial_enable: 1,
      parameter_initial: [2.0],
      parameter_unitstyle: 1,
      parameter_invisible: STORED_ONLY,
      parameter_info: "Seconds each match keeps improving on the server the device starts (0: none).",
    }));
  const budgetPre = prepend("serverbudget", 1400, 490);
  b.connect(budgetBox, 0, budgetPre, 0);
  b.comment("s search (Start)", [1450, 460, 100, 20], [1078, 148, 100, 16]);

  // --- status lines ---------------------------------------------------------------------------
  const statusKinds = ["server", "model", "latency", "error", "capture", "mapping", "target",
    "light", "score", "note", "candidates", "proc", "proclog"];
  const statusRoute = b.obj(`route ${statusKinds.join(" ")}`, 700, 520);
  b.connect(js, 3, statusRoute, 0);
  const statusRects = {
    server: [624, 58, 196, 30],
    model: [624, 90, 196, 18],
    latency: [624, 110, 196, 18],
    error: [624, 128, 196, 36],
    capture: [4, 102, 140, 60],
    mapping: [366, 120, 252, 36],
    target: [150, 61, 210, 18],
    light: [872, 0, 150, 16],
    score: [830, 18, 200, 18],
    note: [830, 36, 200, 62],
    candidates: [830, 120, 200, 18],
    proc: [1036, 94, 184, 18],
    proclog: [1036, 112, 184, 34],
  };
  // What each line says before the script runs: a device whose script did not load (moved
  // without it, or blocked) says so here instead of showing placeholders.
  const initialText = {
    server: "script not loaded: patchflow_device.js is missing (use patchflow_frozen.amxd)",
    light: "script not loaded",
    proc: "server process: waiting for Node for Max (node.script)",
  };
  const statusComments = {};
  statusKinds.forEach((kind, k) => {
    const pre = b.obj("prepend set", 700 + 110 * (k % 7), 560 + 90 * Math.floor(k / 7));
    b.connect(statusRoute, k, pre, 0);
    const attrs = { varname: `${kind} status`, linecount: 2 };
    if (kind === "error" || kind === "light") {
      attrs.textcolor = [0.9, 0.35, 0.3, 1.0];
    }
    if (kind === "light") {
      attrs.fontface = 1;
    }
    const c = b.comment(initialText[kind] || `${kind}: -`,
      [700 + 110 * (k % 7), 600 + 90 * Math.floor(k / 7), 100, 36], statusRects[kind], attrs);
    b.connect(pre, 0, c, 0);
    statusComments[kind] = c;
  });

  // --- menus and dialogs driven by the script -------------------------------------------------
  const uiTargets = [
    ["track", trackMenu], ["device", deviceMenu], ["model", modelMenu], ["live", liveMenu],
    ["host", hostEdit], ["opendialog", openDialog], ["savedialog", saveDialog],
    ["light", statusComments.light], ["matchactive", matchButton],
    ["servercommand", commandEdit], ["servermodel", modelEdit], ["serverplugin", pluginEdit],
    ["serverauto", autoToggle], ["morphdial", morphDial],
  ].concat(macroDials.map((dial, k) => [`macro${k + 1}`, dial]));
  const uiRoute = b.obj(`route ${uiTargets.map((t) => t[0]).join(" ")}`, 20, 960, { width: 900 });
  b.connect(js, 7, uiRoute, 0);
  uiTargets.forEach((t, k) => b.connect(uiRoute, k, t[1], 0));

  // --- live.remote~ pool for macro/morph streams ----------------------------------------------
  b.comment("live.remote~ pool: macro streams drive parameters without undo steps", [20, 1020, 420, 20]);
  const slotNames = range(REMOTE_SLOTS).join(" ");
  const valueRoute = b.obj(`route ${slotNames}`, 20, 1050, { id: "remote-values", width: 1500 });
  const idRoute = b.obj(`route ${slotNames}`, 20, 1090, { id: "remote-ids", width: 1500 });
  b.connect(js, 4, valueRoute, 0);
  b.connect(js, 5, idRoute, 0);
  for (let k = 0; k < REMOTE_SLOTS; k++) {
    const x = 20 + 90 * (k % 16);
    const y = 1140 + 40 * Math.floor(k / 16);
    const remote = b.obj("live.remote~", x, y, {
      id: `remote-${k}`,
      width: 80,
      attrs: { saved_object_attributes: { _persistence: 0, normalized: 0, smoothing: 1.0 } },
    });
    b.connect(valueRoute, k, remote, 0);
    b.connect(idRoute, k, remote, 1);
  }

  // --- parameters -----------------------------------------------------------------------------
  const parameters = {};
  for (const box of b.boxes) {
    const enabled = box.parameter_enable === 1 ||
      (box.saved_object_attributes && box.saved_object_attributes.parameter_enable === 1);
    if (enabled) {
      const v = box.saved_attribute_attributes.valueof;
      parameters[box.id] = [v.parameter_longname, v.parameter_shortname, 0];
    }
  }
  const pad8 = (names) => names.concat(range(8 - names.length).map(() => "-"));
  parameters.parameterbanks = {
    0: { index: 0, name: "Macros", parameters: pad8(macroNames) },
    1: { index: 1, name: "Capture", parameters: pad8(["Match", "Length", "Morph"]) },
  };
  parameters.inherited_shortname = 1;

  return {
    patcher: {
      fileversion: 1,
      appversion: { major: 8, minor: 5, revision: 5, architecture: "x64", modernui: 1 },
      classnamespace: "box",
      rect: [80.0, 100.0, 1560.0, 1000.0],
      bglocked: 0,
      openinpresentation: 1,
      default_fontsize: 10.0,
      default_fontface: 0,
      default_fontname: "Arial Bold",
      gridonopen: 1,
      gridsize: [8.0, 8.0],
      gridsnaponopen: 1,
      objectsnaponopen: 1,
      statusbarvisible: 2,
      toolbarvisible: 1,
      lefttoolbarpinned: 0,
      toptoolbarpinned: 0,
      righttoolbarpinned: 0,
      bottomtoolbarpinned: 0,
      toolbars_unpinned_last_save: 0,
      tallnewobj: 0,
      boxanimatetime: 200,
      enablehscroll: 1,
      enablevscroll: 1,
      devicewidth: 0.0,
      description: "patchflow: capture a sound, match it to a synth patch, latent macros",
      digest: "",
      tags: "",
      style: "",
      subpatcher_template: "",
      assistshowspatchername: 0,
      boxes: b.boxes.map((box) => ({ box })),
      lines: b.lines,
      parameters,
      dependency_cache: [
        { name: BUNDLE_NAME, bootpath: ".", patcherrelativepath: ".", type: "TEXT", implicit: 1 },
        { name: SERVER_NAME, bootpath: ".", patcherrelativepath: ".", type: "TEXT", implicit: 1 },
      ],
      latency: 0,
      is_mpe: 0,
      minimum_live_version: "",
      minimum_max_version: "",
      platform_compatibility: 0,
      project: {
        version: 1,
        creationdate: 3590052786,
        modificationdate: 3590052786,
        viewrect: [0.0, 0.0, 300.0, 500.0],
        autoorganize: 1,
        hideprojectwindow: 1,
        showdependencies: 1,
        autolocalize: 0,
        contents: {
          patchers: {},
          code: {
            [BUNDLE_NAME]: { kind: "javascript", local: 1 },
            [SERVER_NAME]: { kind: "javascript", local: 1 },
          },
        },
        layout: {},
        searchpath: {},
        detailsvisible: 0,
        amxdtype: AMXD_TYPE_AUDIO_EFFECT,
        readonly: 0,
        devpathtype: 0,
        devpath: ".",
        sortmode: 0,
        viewmode: 0,
        includepackages: 0,
      },
      autosave: 0,
    },
  };
}

// ----------------------------------------------------------------------------------------------
// Validation

/**
 * Check a patcher document. Returns a list of problems (empty when valid).
 * @param {object} doc {patcher: ...}
 * @param {{jsInlets:number, jsOutlets:number}} ctx
 */
function validatePatcher(doc, ctx) {
  const errors = [];
  const p = doc && doc.patcher;
  if (!p || !Array.isArray(p.boxes) || !Array.isArray(p.lines)) {
    return ["document has no patcher with boxes and lines"];
  }
  const boxes = new Map();
  for (const entry of p.boxes) {
    const box = entry.box;
    if (!box || !box.id) {
      errors.push("a box without an id");
      continue;
    }
    if (boxes.has(box.id)) {
      errors.push(`duplicate box id ${box.id}`);
    }
    boxes.set(box.id, box);
    const s = specOf(box, ctx);
    if (!s) {
      errors.push(`${box.id}: unknown class ${box.maxclass} ${box.text || ""}`);
      continue;
    }
    box.__spec = s;
    if (box.numinlets !== s.inlets || box.numoutlets !== s.outlets) {
      errors.push(`${box.id} (${box.text || box.maxclass}): has ${box.numinlets}/${box.numoutlets}` +
        ` inlets/outlets, expected ${s.inlets}/${s.outlets}`);
    }
    if (s.outlets > 0 && JSON.stringify(box.outlettype) !== JSON.stringify(s.outlettype)) {
      errors.push(`${box.id}: outlettype ${JSON.stringify(box.outlettype)} should be ` +
        JSON.stringify(s.outlettype));
    }
    if (box.presentation === 1 && !(Array.isArray(box.presentation_rect) && box.presentation_rect.length === 4)) {
      errors.push(`${box.id}: shown in presentation without a presentation_rect`);
    }
  }

  const seen = new Set();
  const usedJsOutlets = new Set();
  let jsInputs = 0;
  for (const entry of p.lines) {
    const line = entry.patchline;
    const [srcId, outlet] = line.source;
    const [dstId, inlet] = line.destination;
    const key = `${srcId}:${outlet}->${dstId}:${inlet}`;
    if (seen.has(key)) {
      errors.push(`duplicate line ${key}`);
    }
    seen.add(key);
    const src = boxes.get(srcId);
    const dst = boxes.get(dstId);
    if (!src || !dst) {
      errors.push(`line ${key} joins a missing box`);
      continue;
    }
    if (!src.__spec || !dst.__spec) {
      continue;
    }
    if (!(Number.isInteger(outlet) && outlet >= 0 && outlet < src.__spec.outlets)) {
      errors.push(`line ${key}: ${src.text || src.maxclass} has no outlet ${outlet}`);
      continue;
    }
    if (!(Number.isInteger(inlet) && inlet >= 0 && inlet < dst.__spec.inlets)) {
      errors.push(`line ${key}: ${dst.text || dst.maxclass} has no inlet ${inlet}`);
      continue;
    }
    if (src.__spec.outlettype[outlet] === "signal" && !dst.__spec.signalInlets.includes(inlet)) {
      errors.push(`line ${key}: a signal goes into ${dst.text || dst.maxclass} inlet ${inlet}, which takes no signal`);
    }
    if (src.text && splitText(src.text)[0] === "js") {
      usedJsOutlets.add(outlet);
    }
    if (dst.text && splitText(dst.text)[0] === "js") {
      jsInputs += 1;
    }
  }
  for (const box of boxes.values()) {
    delete box.__spec;
  }

  // the script: every outlet is wired, something feeds it
  const jsBoxes = [...boxes.values()].filter((box) => box.maxclass === "newobj" && splitText(box.text)[0] === "js");
  if (jsBoxes.length !== 1) {
    errors.push(`expected one js box, found ${jsBoxes.length}`);
  } else {
    for (let k = 0; k < ctx.jsOutlets; k++) {
      if (!usedJsOutlets.has(k)) {
        errors.push(`js outlet ${k} is not connected`);
      }
    }
    if (jsInputs === 0) {
      errors.push("nothing is connected to the js inlet");
    }
  }

  // required objects
  const texts = [...boxes.values()].filter((box) => box.maxclass === "newobj").map((box) => box.text);
  const classes = texts.map((t) => splitText(t)[0]);
  for (const required of ["plugin~", "plugout~", "record~", "buffer~", "udpsend", "udpreceive",
    "live.thisdevice", "dspstate~", "pattr"]) {
    if (!classes.includes(required)) {
      errors.push(`required object ${required} is missing`);
    }
  }
  for (const t of texts) {
    const words = splitText(t);
    if ((words[0] === "buffer~" || words[0] === "record~" || words[0] === "info~") && !words[1].startsWith("---")) {
      errors.push(`${t}: buffer names must start with --- so they are local to the device`);
    }
  }
  const remotes = classes.filter((c) => c === "live.remote~").length;
  if (remotes !== REMOTE_SLOTS) {
    errors.push(`expected ${REMOTE_SLOTS} live.remote~, found ${remotes}`);
  }

  // parameters
  const params = p.parameters || {};
  const longnames = new Map();
  for (const box of boxes.values()) {
    const enabled = box.parameter_enable === 1 ||
      (box.saved_object_attributes && box.saved_object_attributes.parameter_enable === 1);
    if (!enabled) {
      continue;
    }
    const v = box.saved_attribute_attributes && box.saved_attribute_attributes.valueof;
    if (!v || !v.parameter_longname) {
      errors.push(`${box.id}: parameter without a long name`);
      continue;
    }
    if (longnames.has(v.parameter_longname)) {
      errors.push(`parameter long name "${v.parameter_longname}" is used twice`);
    }
    longnames.set(v.parameter_longname, { box, v });
    const declared = params[box.id];
    if (!Array.isArray(declared) || declared[0] !== v.parameter_longname) {
      errors.push(`${box.id}: parameter "${v.parameter_longname}" is not declared in patcher.parameters`);
    }
  }
  for (const [id, value] of Object.entries(params)) {
    if (id === "parameterbanks" || id === "inherited_shortname" || id === "parameter_overrides") {
      continue;
    }
    if (!boxes.has(id)) {
      errors.push(`patcher.parameters names a missing box ${id}`);
    } else if (!Array.isArray(value) || value.length !== 3) {
      errors.push(`patcher.parameters[${id}] must be [longname, shortname, 0]`);
    }
  }
  const mappable = ["Match", "Morph"].concat(range(N_MACROS).map((k) => `Macro ${k + 1}`));
  for (const name of mappable) {
    const entry = longnames.get(name);
    if (!entry) {
      errors.push(`parameter "${name}" is missing`);
    } else if (entry.v.parameter_invisible !== VISIBLE) {
      errors.push(`parameter "${name}" must be Automated and Stored (parameter_invisible 0)`);
    }
  }
  const banks = params.parameterbanks || {};
  for (const bank of Object.values(banks)) {
    if (!Array.isArray(bank.parameters) || bank.parameters.length !== 8) {
      errors.push("each parameter bank must list 8 slots");
      continue;
    }
    for (const name of bank.parameters) {
      if (name !== "-" && !longnames.has(name)) {
        errors.push(`parameter bank names unknown parameter "${name}"`);
      }
    }
  }

  if (!p.project || p.project.amxdtype !== AMXD_TYPE_AUDIO_EFFECT) {
    errors.push(`project.amxdtype must be ${AMXD_TYPE_AUDIO_EFFECT} (audio effect 'aaaa')`);
  }
  if (p.openinpresentation !== 1) {
    errors.push("the device must open in presentation mode");
  }
  return errors;
}

// ----------------------------------------------------------------------------------------------
// .amxd container

function chunk(tag, data) {
  const head = Buffer.alloc(8);
  head.write(tag, 0, 4, "ascii");
  head.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, data]);
}

function patcherText(doc) {
  return JSON.stringify(doc, null, "\t") + "\n";
}

/** An unfrozen .amxd: ampf <type>, meta 1, ptch <JSON + "\n\0">. */
function encodeAmxd(doc, type) {
  const fourcc = Buffer.from(type || "aaaa", "ascii");
  const meta = Buffer.alloc(4);
  meta.writeUInt32LE(1, 0);
  const body = Buffer.concat([Buffer.from(patcherText(doc), "utf8"), Buffer.from([0])]);
  return Buffer.concat([chunk("ampf", fourcc), chunk("meta", meta), chunk("ptch", body)]);
}

/** HFS+ time (seconds since 1904) stamped on embedded files: fixed, so builds are reproducible. */
const FROZEN_MDAT = 3590052786;
/** dire flags seen in Ableton's frozen devices (maxdevtools FrozenTest.amxd): the device, node scripts. */
const FLAG_DEVICE = 17;
const FLAG_NODE_SCRIPT = 8;

function be32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** A footer field: tag, big-endian size including this 8-byte head, data. */
function field(tag, data) {
  return Buffer.concat([Buffer.from(tag, "ascii"), be32(8 + data.length), data]);
}

/** A file name as stored in fnam: NUL-terminated, zero-padded to a multiple of 4. */
function paddedName(name) {
  const raw = Buffer.from(name, "ascii");
  const size = Math.ceil((raw.length + 1) / 4) * 4;
  const out = Buffer.alloc(size);
  raw.copy(out);
  return out;
}

/**
 * A frozen .amxd: the same three chunks, but ptch holds a "mx@c" container with every file the
 * device needs, as Max writes it when you freeze a device (layout read by Ableton's maxdevtools,
 * maxdiff/frozen_device_printer.py and freezing_utils.py, and checked against their
 * FrozenTest.amxd): "mx@c", be32 16 (header size), be64 offset of the footer, the files back to
 * back (the device's patcher first, as JSON ending in "\n\0"), then the footer "dlst" <be32
 * size> and one "dire" <be32 size> per file with the fields type, fnam, sz32, of32 (from the
 * start of ptch), vers, flag and mdat, each a 4-byte tag, a be32 size including its 8-byte head,
 * and the data.
 * @param {object} doc the device's patcher document.
 * @param {{name:string, type:string, data:Buffer, flag:number}[]} files the embedded files.
 */
function encodeFrozenAmxd(doc, type, files) {
  const entries = [{
    name: DEVICE_FILE_NAME,
    type: "JSON",
    data: Buffer.concat([Buffer.from(patcherText(doc), "utf8"), Buffer.from([0])]),
    flag: FLAG_DEVICE,
  }].concat(files);
  const HEADER = 16;
  let offset = HEADER;
  const dires = [];
  for (const e of entries) {
    const fields = Buffer.concat([
      field("type", Buffer.from(e.type.padEnd(4, " ").slice(0, 4), "ascii")),
      field("fnam", paddedName(e.name)),
      field("sz32", be32(e.data.length)),
      field("of32", be32(offset)),
      field("vers", be32(0)),
      field("flag", be32(e.flag || 0)),
      field("mdat", be32(FROZEN_MDAT)),
    ]);
    dires.push(Buffer.concat([Buffer.from("dire", "ascii"), be32(8 + fields.length), fields]));
    offset += e.data.length;
  }
  const direBytes = Buffer.concat(dires);
  const footer = Buffer.concat([Buffer.from("dlst", "ascii"), be32(8 + direBytes.length), direBytes]);
  const head = Buffer.alloc(HEADER);
  head.write("mx@c", 0, 4, "ascii");
  head.writeUInt32BE(HEADER, 4);
  head.writeBigUInt64BE(BigInt(offset), 8);
  const ptch = Buffer.concat([head].concat(entries.map((e) => e.data), [footer]));
  const fourcc = Buffer.from(type || "aaaa", "ascii");
  return Buffer.concat([chunk("ampf", fourcc), chunk("meta", be32le(7)), chunk("ptch", ptch)]);
}

function be32le(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
}

/** The files of a frozen ptch: [{type, name, size, offset, flag, mdat, data}]. */
function decodeFrozen(ptch) {
  if (ptch.length < 16) {
    throw new Error("frozen device: the mx@c header is cut short");
  }
  const footerAt = Number(ptch.readBigUInt64BE(8));
  if (footerAt + 8 > ptch.length || ptch.toString("ascii", footerAt, footerAt + 4) !== "dlst") {
    throw new Error("frozen device: no dlst footer where the header says");
  }
  const footerSize = ptch.readUInt32BE(footerAt + 4);
  if (footerAt + footerSize !== ptch.length) {
    throw new Error("frozen device: the footer size does not reach the end of ptch");
  }
  const files = [];
  let pos = footerAt + 8;
  while (pos < ptch.length && ptch.toString("ascii", pos, pos + 4) === "dire") {
    const size = ptch.readUInt32BE(pos + 4);
    const f = {};
    let q = pos + 8;
    while (q + 8 <= pos + size) {
      const tag = ptch.toString("ascii", q, q + 4);
      const fsize = ptch.readUInt32BE(q + 4);
      const data = ptch.subarray(q + 8, q + fsize);
      if (tag === "type" || tag === "fnam") {
        f[tag] = data.toString("ascii").replace(/\0+$/, "");
      } else {
        f[tag] = data.readUInt32BE(0);
      }
      q += fsize;
    }
    files.push({
      type: f.type, name: f.fnam, size: f.sz32, offset: f.of32, flag: f.flag, mdat: f.mdat,
      data: ptch.subarray(f.of32, f.of32 + f.sz32),
    });
    pos += size;
  }
  return files;
}

/** Read an .amxd: device type, meta value and the patcher JSON (ignoring bytes after the NUL). */
function decodeAmxd(bytes) {
  const chunks = {};
  let pos = 0;
  while (pos + 8 <= bytes.length) {
    const tag = bytes.toString("ascii", pos, pos + 4);
    const size = bytes.readUInt32LE(pos + 4);
    if (pos + 8 + size > bytes.length) {
      throw new Error(`chunk ${tag} at byte ${pos} runs past the end of the file`);
    }
    chunks[tag] = bytes.subarray(pos + 8, pos + 8 + size);
    pos += 8 + size;
  }
  if (!chunks.ampf || !chunks.ptch) {
    throw new Error("not an .amxd: ampf or ptch chunk missing");
  }
  let ptch = chunks.ptch;
  let files = null;
  if (ptch.subarray(0, 4).toString("ascii") === "mx@c") {
    files = decodeFrozen(ptch);
    ptch = files[0].data;
  }
  const nul = ptch.indexOf(0);
  const text = ptch.subarray(0, nul < 0 ? ptch.length : nul).toString("utf8");
  return {
    type: chunks.ampf.toString("ascii"),
    meta: chunks.meta ? chunks.meta.readUInt32LE(0) : null,
    text,
    doc: JSON.parse(text),
    chunkOrder: Object.keys(chunks),
    frozen: files !== null,
    files,
  };
}

// ----------------------------------------------------------------------------------------------
// CLI

function artefacts() {
  const deviceSource = fs.readFileSync(DEVICE_JS, "utf8");
  const ctx = jsPorts(deviceSource);
  const doc = buildPatcher(ctx);
  const errors = validatePatcher(doc, ctx);
  const bundle = bundleJs();
  const server = fs.readFileSync(SERVER_JS, "utf8");
  const frozen = encodeFrozenAmxd(doc, "aaaa", [
    { name: BUNDLE_NAME, type: "TEXT", data: Buffer.from(bundle, "utf8"), flag: 0 },
    { name: SERVER_NAME, type: "TEXT", data: Buffer.from(server, "utf8"), flag: FLAG_NODE_SCRIPT },
  ]);
  return { ctx, doc, errors, maxpat: patcherText(doc), amxd: encodeAmxd(doc, "aaaa"), bundle, server, frozen };
}

function main(argv) {
  const check = argv.includes("--check");
  const a = artefacts();
  if (a.errors.length) {
    for (const e of a.errors) {
      console.error(`patcher error: ${e}`);
    }
    return 1;
  }
  if (!check) {
    fs.mkdirSync(DIST_DIR, { recursive: true });
    fs.writeFileSync(MAXPAT_PATH, a.maxpat);
    fs.writeFileSync(AMXD_PATH, a.amxd);
    fs.writeFileSync(BUNDLE_PATH, a.bundle);
    fs.writeFileSync(SERVER_PATH, a.server);
    fs.writeFileSync(FROZEN_PATH, a.frozen);
    const rel = (p) => path.relative(process.cwd(), p);
    console.log(`wrote ${rel(MAXPAT_PATH)}, ${rel(AMXD_PATH)} (${a.amxd.length} bytes), ${rel(BUNDLE_PATH)}, ` +
      `${rel(SERVER_PATH)}, ${rel(FROZEN_PATH)} (${a.frozen.length} bytes, scripts embedded)`);
    return 0;
  }
  const stale = [];
  const current = [
    [MAXPAT_PATH, Buffer.from(a.maxpat, "utf8")],
    [AMXD_PATH, a.amxd],
    [BUNDLE_PATH, Buffer.from(a.bundle, "utf8")],
    [SERVER_PATH, Buffer.from(a.server, "utf8")],
    [FROZEN_PATH, a.frozen],
  ];
  for (const [file, bytes] of current) {
    if (!fs.existsSync(file) || !fs.readFileSync(file).equals(bytes)) {
      stale.push(path.relative(ROOT, file) + (fs.existsSync(file) ? "" : " (missing)"));
    }
  }
  if (stale.length) {
    console.error(`out of date: ${stale.join(", ")} (run: node max_for_live/build.js)`);
    return 1;
  }
  const nBoxes = a.doc.patcher.boxes.length;
  const nLines = a.doc.patcher.lines.length;
  console.log(`patcher ok: ${nBoxes} boxes, ${nLines} lines; committed files up to date`);
  return 0;
}

module.exports = {
  AMXD_TYPE_AUDIO_EFFECT,
  REMOTE_SLOTS,
  N_MACROS,
  OBJECT_SPECS,
  UI_SPECS,
  MAXPAT_PATH,
  AMXD_PATH,
  BUNDLE_PATH,
  SERVER_PATH,
  FROZEN_PATH,
  specOf,
  jsPorts,
  bundleJs,
  buildPatcher,
  validatePatcher,
  patcherText,
  encodeAmxd,
  encodeFrozenAmxd,
  decodeFrozen,
  decodeAmxd,
  artefacts,
};

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
