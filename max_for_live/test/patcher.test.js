"use strict";
// Structure of the generated patcher: boxes, patch lines, required objects, parameters, the
// device type, and the agreement between the patcher and the device script.

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const build = require("../build.js");
const { MaxEnv } = require("../testing/max_env.js");

const DEVICE_SOURCE = fs.readFileSync(path.join(__dirname, "..", "src", "patchflow_device.js"), "utf8");
const CTX = build.jsPorts(DEVICE_SOURCE);
const DOC = build.buildPatcher(CTX);
const P = DOC.patcher;
const BOXES = new Map(P.boxes.map((e) => [e.box.id, e.box]));
const LINES = P.lines.map((e) => e.patchline);

function clone(x) {
  return JSON.parse(JSON.stringify(x));
}

function boxesWhere(pred) {
  return [...BOXES.values()].filter(pred);
}

function byText(prefix) {
  return boxesWhere((b) => b.maxclass === "newobj" && (b.text === prefix || b.text.startsWith(`${prefix} `)));
}

function one(list, what) {
  assert.equal(list.length, 1, `exactly one ${what}`);
  return list[0];
}

function linesFrom(id, outlet) {
  return LINES.filter((l) => l.source[0] === id && (outlet === undefined || l.source[1] === outlet));
}

function linesInto(id, inlet) {
  return LINES.filter((l) => l.destination[0] === id && (inlet === undefined || l.destination[1] === inlet));
}

function connected(srcId, outlet, dstId, inlet) {
  return LINES.some((l) => l.source[0] === srcId && l.source[1] === outlet &&
    l.destination[0] === dstId && l.destination[1] === inlet);
}

function param(box) {
  return box.saved_attribute_attributes && box.saved_attribute_attributes.valueof;
}

function byLongname(name) {
  return one(boxesWhere((b) => param(b) && param(b).parameter_longname === name), `parameter "${name}"`);
}

const JS = one(byText("js"), "js box");

test("the builder's own validation passes on the generated and on the committed patcher", () => {
  assert.deepEqual(build.validatePatcher(clone(DOC), CTX), []);
  const committed = JSON.parse(fs.readFileSync(build.MAXPAT_PATH, "utf8"));
  assert.deepEqual(build.validatePatcher(committed, CTX), []);
  assert.deepEqual(committed, clone(DOC), "patchflow.maxpat is up to date (run node build.js)");
});

test("every patch line joins existing boxes on existing inlets and outlets", () => {
  assert.ok(LINES.length > 100);
  for (const l of LINES) {
    const src = BOXES.get(l.source[0]);
    const dst = BOXES.get(l.destination[0]);
    assert.ok(src && dst, JSON.stringify(l));
    assert.ok(Number.isInteger(l.source[1]) && l.source[1] >= 0 && l.source[1] < src.numoutlets,
      `${src.text || src.maxclass} outlet ${l.source[1]} of ${src.numoutlets}`);
    assert.ok(Number.isInteger(l.destination[1]) && l.destination[1] >= 0 && l.destination[1] < dst.numinlets,
      `${dst.text || dst.maxclass} inlet ${l.destination[1]} of ${dst.numinlets}`);
  }
  const keys = LINES.map((l) => JSON.stringify([l.source, l.destination]));
  assert.equal(new Set(keys).size, keys.length, "no duplicate lines");
});

test("box inlet and outlet counts agree with the table of stock objects", () => {
  for (const box of BOXES.values()) {
    const s = build.specOf(box, CTX);
    assert.ok(s, `known class: ${box.maxclass} ${box.text || ""}`);
    assert.equal(box.numinlets, s.inlets, box.text || box.maxclass);
    assert.equal(box.numoutlets, s.outlets, box.text || box.maxclass);
    assert.equal((box.outlettype || []).length, box.numoutlets, box.text || box.maxclass);
  }
  // a few counts checked against saved Max patchers
  const counts = (text) => {
    const b = byText(text)[0];
    return [b.numinlets, b.numoutlets];
  };
  assert.deepEqual(counts("plugin~"), [2, 2]);
  assert.deepEqual(counts("record~"), [4, 1]); // 2 channels + start/end points
  assert.deepEqual(counts("buffer~"), [1, 2]);
  assert.deepEqual(counts("live.thisdevice"), [1, 3]);
  assert.deepEqual(counts("udpsend"), [1, 0]);
  assert.deepEqual(counts("live.remote~"), [2, 1]);
});

test("audio passes through plugin~ -> plugout~ and into record~ on both channels", () => {
  const plugin = one(byText("plugin~"), "plugin~");
  const plugout = one(byText("plugout~"), "plugout~");
  const record = one(byText("record~"), "record~");
  assert.ok(connected(plugin.id, 0, plugout.id, 0));
  assert.ok(connected(plugin.id, 1, plugout.id, 1));
  assert.ok(connected(plugin.id, 0, record.id, 0));
  assert.ok(connected(plugin.id, 1, record.id, 1));
  // record~ writes into a device-local buffer~ that holds at least 4 s
  const recName = record.text.split(/\s+/)[1];
  assert.ok(recName.startsWith("---"));
  const buffer = one(boxesWhere((b) => b.maxclass === "newobj" && b.text.startsWith(`buffer~ ${recName} `)), "capture buffer~");
  assert.ok(Number(buffer.text.split(/\s+/)[2]) >= 4000);
  assert.ok(connected(JS.id, 2, record.id, 0), "the script starts and stops record~");
  // signals only go into inlets that take them
  for (const l of LINES) {
    const src = BOXES.get(l.source[0]);
    if (src.outlettype[l.source[1]] === "signal") {
      const dst = BOXES.get(l.destination[0]);
      assert.ok(["plugout~", "record~"].includes(dst.text.split(/\s+/)[0]), dst.text);
    }
  }
});

test("the js box loads the bundle with the device-local buffer names and matches the script's ports", () => {
  const words = JS.text.split(/\s+/);
  assert.equal(words[1], "patchflow_device.js");
  assert.ok(words[2].startsWith("---") && words[3].startsWith("---"));
  assert.ok(byText(`buffer~ ${words[3]}`).length === 1, "the file buffer exists");
  assert.equal(JS.numinlets, CTX.jsInlets);
  assert.equal(JS.numoutlets, CTX.jsOutlets);
  assert.deepEqual([CTX.jsInlets, CTX.jsOutlets], [1, 9]);
  for (let k = 0; k < CTX.jsOutlets; k++) {
    assert.ok(linesFrom(JS.id, k).length > 0, `js outlet ${k} is connected`);
  }
  const udpsend = one(byText("udpsend"), "udpsend");
  const udpreceive = one(byText("udpreceive"), "udpreceive");
  assert.equal(udpsend.text, "udpsend 127.0.0.1 9130");
  assert.equal(udpreceive.text, "udpreceive 9131");
  assert.ok(connected(JS.id, 0, udpsend.id, 0));
  assert.ok(connected(JS.id, 1, udpreceive.id, 0));
  assert.ok(connected(udpreceive.id, 0, JS.id, 0));
  const pattr = one(byText("pattr"), "pattr");
  assert.ok(connected(JS.id, 6, pattr.id, 0));
  const thisdevice = one(byText("live.thisdevice"), "live.thisdevice");
  assert.ok(linesFrom(thisdevice.id, 0).length === 1);
});

test("every message the patcher sends into the script has a handler in it", () => {
  const env = new MaxEnv();
  env.load();
  const words = new Set();
  for (const l of linesInto(JS.id, 0)) {
    const src = BOXES.get(l.source[0]);
    if (src.maxclass === "message") {
      words.add(src.text.split(/\s+/)[0]);
    } else if (src.maxclass === "newobj" && src.text.startsWith("prepend ")) {
      words.add(src.text.split(/\s+/)[1]);
    } else {
      assert.equal(src.text.split(/\s+/)[0], "udpreceive", `unexpected input ${src.text || src.maxclass}`);
    }
  }
  assert.ok(words.size >= 20);
  for (const w of words) {
    assert.equal(typeof env.context[w], "function", `the script handles "${w}"`);
  }
});

test("the routes after the script match what the script sends", () => {
  const statusRoute = one(linesFrom(JS.id, 3).map((l) => BOXES.get(l.destination[0])), "status route");
  const kinds = statusRoute.text.split(/\s+/).slice(1);
  for (const kind of kinds) {
    assert.ok(DEVICE_SOURCE.includes(`status("${kind}"`), `the script reports "${kind}"`);
  }
  kinds.forEach((kind, k) => {
    const pre = one(linesFrom(statusRoute.id, k).map((l) => BOXES.get(l.destination[0])), `prepend for ${kind}`);
    assert.equal(pre.text, "prepend set");
    const comment = one(linesFrom(pre.id, 0).map((l) => BOXES.get(l.destination[0])), `comment for ${kind}`);
    assert.equal(comment.maxclass, "comment");
    assert.equal(comment.presentation, 1);
  });
  const uiRoute = one(linesFrom(JS.id, 7).map((l) => BOXES.get(l.destination[0])), "ui route");
  const targets = uiRoute.text.split(/\s+/).slice(1);
  for (const t of targets) {
    const dynamic = /^macro[1-8]$/.test(t) && DEVICE_SOURCE.includes('ui("macro" + (k + 1)');
    assert.ok(dynamic || DEVICE_SOURCE.includes(`ui("${t}"`), `the script drives "${t}"`);
  }
  const classes = targets.map((t, k) => {
    const dst = one(linesFrom(uiRoute.id, k).map((l) => BOXES.get(l.destination[0])), t);
    return dst.maxclass === "newobj" ? dst.text : dst.maxclass;
  });
  assert.deepEqual(classes, ["umenu", "umenu", "umenu", "umenu", "textedit", "opendialog", "savedialog",
    "comment", "live.text", "textedit", "textedit", "textedit", "live.text", "live.dial"]
    .concat(Array.from({ length: 8 }, () => "live.dial")));
  // macro k's route outlet reaches the dial named "Macro k"
  for (let k = 1; k <= 8; k++) {
    const dial = one(linesFrom(uiRoute.id, targets.indexOf(`macro${k}`)).map((l) => BOXES.get(l.destination[0])), `macro${k}`);
    assert.equal(dial.varname, `Macro ${k}`);
  }
});

test("the node.script runs the server script, both ways connected to the js", () => {
  const node = one(byText("node.script"), "node.script");
  assert.equal(node.text.split(/\s+/)[1], "patchflow_server.js");
  assert.equal(node.saved_object_attributes.autostart, 1);
  assert.ok(connected(JS.id, 8, node.id, 0));
  const procPre = one(linesFrom(node.id, 0).map((l) => BOXES.get(l.destination[0])), "serverproc prepend");
  assert.equal(procPre.text, "prepend serverproc");
  assert.ok(connected(procPre.id, 0, JS.id, 0));
  const statePre = one(linesFrom(node.id, 1).map((l) => BOXES.get(l.destination[0])), "nodestate prepend");
  assert.equal(statePre.text, "prepend nodestate");
  assert.ok(DOC.patcher.dependency_cache.some((d) => d.name === "patchflow_server.js" && d.type === "TEXT"));
});

test("before the script runs, the device says that it is not loaded", () => {
  const texts = boxesWhere((b) => b.maxclass === "comment" && b.presentation === 1).map((b) => b.text);
  assert.ok(texts.some((t) => /script not loaded: patchflow_device.js is missing/.test(t)));
  assert.ok(!texts.some((t) => /^server: -$/.test(t)));
});

test("a pool of 64 live.remote~ is addressed by slot for values and ids", () => {
  const remotes = byText("live.remote~");
  assert.equal(remotes.length, 64);
  const valueRoute = one(linesFrom(JS.id, 4).map((l) => BOXES.get(l.destination[0])), "value route");
  const idRoute = one(linesFrom(JS.id, 5).map((l) => BOXES.get(l.destination[0])), "id route");
  const slots = Array.from({ length: 64 }, (_, k) => String(k));
  assert.deepEqual(valueRoute.text.split(/\s+/).slice(1), slots);
  assert.deepEqual(idRoute.text.split(/\s+/).slice(1), slots);
  for (let k = 0; k < 64; k++) {
    const byValue = linesFrom(valueRoute.id, k).map((l) => l.destination);
    const byId = linesFrom(idRoute.id, k).map((l) => l.destination);
    assert.equal(byValue.length, 1);
    assert.equal(byId.length, 1);
    assert.equal(byValue[0][0], byId[0][0], `slot ${k} reaches one live.remote~`);
    assert.equal(byValue[0][1], 0);
    assert.equal(byId[0][1], 1);
  }
  for (const r of remotes) {
    assert.equal(r.saved_object_attributes._persistence, 0, "no persistent ids on live.remote~");
  }
});

test("eight macro dials are declared, Automated and Stored, and mappable", () => {
  const names = [];
  for (let k = 1; k <= 8; k++) {
    const name = `Macro ${k}`;
    names.push(name);
    const dial = byLongname(name);
    const v = param(dial);
    assert.equal(dial.maxclass, "live.dial");
    assert.equal(dial.parameter_enable, 1);
    assert.equal(v.parameter_invisible, 0, "Automated and Stored: MIDI-mappable and automatable");
    assert.equal(v.parameter_type, 0);
    assert.deepEqual([v.parameter_mmin, v.parameter_mmax, v.parameter_initial[0]], [0, 1, 0.5]);
    assert.equal(dial.presentation, 1);
    assert.deepEqual(P.parameters[dial.id], [name, v.parameter_shortname, 0]);
    const pre = one(linesFrom(dial.id, 0).map((l) => BOXES.get(l.destination[0])), `prepend for ${name}`);
    assert.equal(pre.text, `prepend macro ${k}`);
    assert.ok(connected(pre.id, 0, JS.id, 0));
  }
  assert.deepEqual(P.parameters.parameterbanks["0"], { index: 0, name: "Macros", parameters: names });
  const morph = byLongname("Morph");
  assert.equal(param(morph).parameter_invisible, 0);
  assert.equal(morph.maxclass, "live.dial");
});

test("the Match button is a mappable live.text; the length is 0.5 to 4 s", () => {
  const match = byLongname("Match");
  assert.equal(match.maxclass, "live.text");
  assert.equal(match.mode, 0, "button mode");
  assert.equal(param(match).parameter_invisible, 0);
  const pre = one(linesFrom(match.id, 0).map((l) => BOXES.get(l.destination[0])), "prepend");
  assert.equal(pre.text, "prepend matchbutton");
  const length = param(byLongname("Length"));
  assert.deepEqual([length.parameter_mmin, length.parameter_mmax], [0.5, 4]);
  assert.equal(byLongname("Audio File").maxclass, "live.drop");
  // internal buttons are hidden from automation; the state blob is stored with the Set
  for (const name of ["Pick", "Refresh", "Auto Map", "Load Map", "Save Map"]) {
    assert.equal(param(byLongname(name)).parameter_invisible, 2, name);
  }
  const state = param(byLongname("patchflow state"));
  assert.equal(state.parameter_type, 3, "blob");
  assert.equal(state.parameter_invisible, 1, "stored only");
});

test("parameters: every parameter box is declared once, banks name real parameters", () => {
  const declared = Object.keys(P.parameters).filter((k) => k.startsWith("obj-"));
  const paramBoxes = boxesWhere((b) => b.parameter_enable === 1 ||
    (b.saved_object_attributes && b.saved_object_attributes.parameter_enable === 1));
  assert.deepEqual(declared.sort(), paramBoxes.map((b) => b.id).sort());
  const longnames = paramBoxes.map((b) => param(b).parameter_longname);
  assert.equal(new Set(longnames).size, longnames.length);
  for (const bank of Object.values(P.parameters.parameterbanks)) {
    assert.equal(bank.parameters.length, 8);
    for (const n of bank.parameters) {
      assert.ok(n === "-" || longnames.includes(n), n);
    }
  }
});

test("the device is an audio effect that opens in presentation", () => {
  assert.equal(P.project.amxdtype, 1633771873);
  assert.equal(P.project.amxdtype, Buffer.from("aaaa", "ascii").readUInt32BE(0));
  assert.equal(P.openinpresentation, 1);
  for (const b of boxesWhere((x) => x.presentation === 1)) {
    assert.equal(b.presentation_rect.length, 4);
    const [x, y, w, h] = b.presentation_rect;
    assert.ok(x >= 0 && y >= 0 && y + h <= 169, `${b.varname || b.text || b.maxclass} fits in a Live device's height`);
    assert.ok(w > 0 && h > 0);
  }
  assert.ok(P.dependency_cache.some((d) => d.name === "patchflow_device.js"));
  const shown = boxesWhere((x) => x.presentation === 1);
  for (let i = 0; i < shown.length; i++) {
    for (let j = i + 1; j < shown.length; j++) {
      const [a, b] = [shown[i].presentation_rect, shown[j].presentation_rect];
      const overlap = a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
      assert.ok(!overlap, `${shown[i].varname || shown[i].text} overlaps ${shown[j].varname || shown[j].text}`);
    }
  }
});

test("only stock Max objects (node.script is stock since Max 8): no externals", () => {
  const classes = new Set(boxesWhere((b) => b.maxclass === "newobj").map((b) => b.text.split(/\s+/)[0]));
  const stock = new Set(["plugin~", "plugout~", "record~", "buffer~", "info~", "js", "udpsend", "udpreceive",
    "live.thisdevice", "dspstate~", "route", "prepend", "t", "opendialog", "savedialog", "pattr", "live.remote~",
    "node.script"]);
  for (const c of classes) {
    assert.ok(stock.has(c), c);
  }
});

test("validatePatcher catches broken graphs", () => {
  const check = (mutate, pattern) => {
    const doc = clone(DOC);
    mutate(doc.patcher);
    const errors = build.validatePatcher(doc, CTX);
    assert.ok(errors.some((e) => pattern.test(e)), `${pattern} in ${JSON.stringify(errors)}`);
  };
  const plugin = one(byText("plugin~"), "plugin~").id;
  check((p) => p.lines.push({ patchline: { source: [plugin, 5], destination: [JS.id, 0] } }), /no outlet 5/);
  check((p) => p.lines.push({ patchline: { source: [JS.id, 0], destination: [plugin, 9] } }), /no inlet 9/);
  check((p) => p.lines.push({ patchline: { source: ["obj-nope", 0], destination: [JS.id, 0] } }), /missing box/);
  check((p) => p.lines.push({ patchline: { source: [plugin, 0], destination: [JS.id, 0] } }), /takes no signal/);
  check((p) => p.lines.push(clone(p.lines[0])), /duplicate line/);
  check((p) => {
    p.lines = p.lines.filter((e) => !(e.patchline.source[0] === JS.id && e.patchline.source[1] === 2));
  }, /js outlet 2 is not connected/);
  check((p) => {
    const dial = p.boxes.find((e) => param(e.box) && param(e.box).parameter_longname === "Macro 3").box;
    param(dial).parameter_invisible = 1;
  }, /Macro 3.*Automated and Stored/);
  check((p) => {
    const dial = p.boxes.find((e) => param(e.box) && param(e.box).parameter_longname === "Macro 2").box;
    param(dial).parameter_longname = "Macro 1";
  }, /used twice/);
  check((p) => {
    p.boxes = p.boxes.filter((e) => !(e.box.text || "").startsWith("plugout~"));
    p.lines = p.lines.filter((e) => BOXES.get(e.patchline.destination[0]).text !== "plugout~");
  }, /plugout~ is missing/);
  check((p) => {
    p.project.amxdtype = 1835887981;
  }, /amxdtype/);
  check((p) => {
    p.boxes.find((e) => e.box.text === "udpsend 127.0.0.1 9130").box.numinlets = 2;
  }, /expected 1\/0/);
  check((p) => {
    p.boxes.find((e) => (e.box.text || "").startsWith("buffer~")).box.text = "buffer~ shared 4000 2";
  }, /must start with ---/);
});
