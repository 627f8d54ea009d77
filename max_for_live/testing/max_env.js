/*
 * A stand-in for Max and Live, to run the device's own JavaScript in node.
 *
 * MaxEnv loads dist's script text (core + device, as build.js bundles it) into a vm context that
 * provides what Max's classic [js] object provides - outlet, post, Task, Buffer, File, LiveAPI,
 * jsarguments, messagename, max.os - and records what the script sends out of each outlet. It can
 * also play the patcher around the script: [udpsend]/[udpreceive] over real UDP, [live.remote~]
 * slots bound to mock Live parameters, and buffer~ file loading.
 *
 * MockLiveSet models just enough of the Live Object Model: tracks, return tracks, the master
 * track, devices (with rack chains), device parameters (name, min, max, is_quantized,
 * value_items, value, automation_state), this_device, Song.appointed_device, Song.is_playing,
 * Song.View.selected_parameter, Song.View.selected_track and Track.View.selected_device, and an
 * undo history in which Song.begin_undo_step/end_undo_step group the writes made between them.
 * Tracks can be inserted (paths move, ids stay), devices renamed and deleted, and a Set "saved
 * and reopened" (same structure, new ids).
 */
"use strict";

const vm = require("node:vm");
const fs = require("node:fs");
const dgram = require("node:dgram");
const PF = require("../src/patchflow_core.js");
const { bundleJs } = require("../build.js");

// ----------------------------------------------------------------------------------------------
// Time

/** Manual clock: tasks run only when the test advances time. */
class FakeScheduler {
  constructor(startMs) {
    this.nowMs = startMs === undefined ? 1000000 : startMs;
    this.queue = [];
    this.seq = 0;
  }

  schedule(task, delayMs) {
    this.cancel(task);
    this.seq += 1;
    this.queue.push({ task, due: this.nowMs + Math.max(0, delayMs), seq: this.seq });
  }

  cancel(task) {
    this.queue = this.queue.filter((e) => e.task !== task);
  }

  isScheduled(task) {
    return this.queue.some((e) => e.task === task);
  }

  /** Run every task due within `ms` from now, in time order, then move the clock there. */
  advance(ms) {
    const end = this.nowMs + (ms || 0);
    for (;;) {
      const ready = this.queue.filter((e) => e.due <= end);
      if (ready.length === 0) {
        break;
      }
      ready.sort((a, b) => a.due - b.due || a.seq - b.seq);
      const next = ready[0];
      this.queue = this.queue.filter((e) => e !== next);
      this.nowMs = Math.max(this.nowMs, next.due);
      next.task.run();
    }
    this.nowMs = end;
  }

  makeDate() {
    const sched = this;
    return class FakeDate {
      getTime() {
        return sched.nowMs;
      }

      static now() {
        return sched.nowMs;
      }
    };
  }
}

/** Wall clock: tasks run on node's timers. */
class RealScheduler {
  constructor() {
    this.tasks = new Set();
    this.closed = false;
  }

  schedule(task, delayMs) {
    this.cancel(task);
    if (this.closed) {
      return;
    }
    this.tasks.add(task);
    task._timer = setTimeout(() => {
      task._timer = null;
      this.tasks.delete(task);
      task.run();
    }, Math.max(0, delayMs));
  }

  cancel(task) {
    if (task._timer) {
      clearTimeout(task._timer);
      task._timer = null;
    }
    this.tasks.delete(task);
  }

  /** Cancel every pending task and refuse new ones (the device is gone). */
  close() {
    this.closed = true;
    for (const task of this.tasks) {
      clearTimeout(task._timer);
      task._timer = null;
    }
    this.tasks.clear();
  }

  isScheduled(task) {
    return Boolean(task._timer);
  }

  makeDate() {
    return Date;
  }
}

function makeTaskClass(scheduler, onError) {
  function Task(fn, thisobj, args) {
    this.fn = fn;
    this.thisobj = thisobj;
    this.args = args;
    this.interval = 0;
  }
  Task.prototype.schedule = function (ms) {
    scheduler.schedule(this, ms || 0);
  };
  Task.prototype.cancel = function () {
    scheduler.cancel(this);
  };
  Object.defineProperty(Task.prototype, "running", {
    get() {
      return scheduler.isScheduled(this);
    },
  });
  Task.prototype.run = function () {
    try {
      this.fn.apply(this.thisobj, this.args || []);
    } catch (e) {
      onError(e);
    }
  };
  return Task;
}

// ----------------------------------------------------------------------------------------------
// Live

class MockLiveSet {
  constructor() {
    this.nextId = 1;
    this.objects = new Map();
    this.song = this.register({ kind: "song", path: "live_set", tracks: [], return_tracks: [] });
    this.view = this.register({ kind: "view", path: "live_set view", selected_parameter: 0, selected_track: 0 });
    this.song.appointed_device = 0;
    this.song.is_playing = 0;
    this.song.master_track = this.makeTrack("Master", "live_set master_track");
    this.thisDevice = null;
    this.undoEntries = [];
    this.openUndo = 0;
    this.openEntry = null;
    this.writes = [];
    this.controlled = new Map(); // parameter id -> live.remote~ slot
    this.observers = [];
    this.calls = [];
  }

  register(obj) {
    obj.id = this.nextId;
    this.nextId += 1;
    this.objects.set(obj.id, obj);
    return obj;
  }

  makeTrack(name, path) {
    const track = this.register({ kind: "track", name, path, devices: [] });
    track.view = this.register({ kind: "trackview", path: `${path} view`, track, selected_device: 0 });
    return track;
  }

  /** Insert a track at index: the tracks after it (and their devices) get new paths, same ids. */
  insertTrack(name, index) {
    const t = this.makeTrack(name, "");
    this.song.tracks.splice(index, 0, t);
    this.renumber();
    return t;
  }

  /** Recompute every path from the tree (after an insertion or deletion). */
  renumber() {
    const walkDevices = (holder) => {
      holder.devices.forEach((d, i) => {
        d.path = `${holder.path} devices ${i}`;
        d.parameters.forEach((p, k) => {
          p.path = `${d.path} parameters ${k}`;
        });
        d.chains.forEach((c, k) => {
          c.path = `${d.path} chains ${k}`;
          walkDevices(c);
        });
      });
    };
    const walkTrack = (t, p) => {
      t.path = p;
      t.view.path = `${p} view`;
      walkDevices(t);
    };
    this.song.tracks.forEach((t, i) => walkTrack(t, `live_set tracks ${i}`));
    this.song.return_tracks.forEach((t, i) => walkTrack(t, `live_set return_tracks ${i}`));
    walkTrack(this.song.master_track, "live_set master_track");
  }

  /** Delete a device: its id (and its parameters' ids) stop resolving. */
  deleteDevice(device) {
    const holder = device.parent;
    holder.devices.splice(holder.devices.indexOf(device), 1);
    this.objects.delete(device.id);
    for (const p of device.parameters) {
      this.objects.delete(p.id);
    }
    this.renumber();
  }

  /**
   * The Set saved and opened again: the same tracks, devices and values under new ids (Live
   * gives objects new ids in every session). Returns the new set and a map old object -> new.
   */
  reopen() {
    const set = new MockLiveSet();
    set.nextId = this.nextId + 1000;
    const map = new Map();
    const copyDevices = (from, to) => {
      for (const d of from.devices) {
        const params = d.parameters.slice(1).map((p) => ({
          name: p.name, min: p.min, max: p.max, quantized: p.quantized, items: p.items, value: p.value,
        }));
        const nd = set.addDevice(to, d.name, params, { className: d.class_name, self: d === this.thisDevice });
        map.set(d, nd);
        d.parameters.forEach((p, k) => map.set(p, nd.parameters[k]));
        for (const c of d.chains) {
          const nc = set.addChain(nd, c.name);
          copyDevices(c, nc);
        }
      }
    };
    for (const t of this.song.tracks) {
      const nt = set.addTrack(t.name);
      map.set(t, nt);
      copyDevices(t, nt);
    }
    for (const t of this.song.return_tracks) {
      const nt = set.addReturnTrack(t.name);
      map.set(t, nt);
      copyDevices(t, nt);
    }
    return { set, map };
  }

  addTrack(name) {
    const t = this.makeTrack(name, `live_set tracks ${this.song.tracks.length}`);
    this.song.tracks.push(t);
    return t;
  }

  addReturnTrack(name) {
    const t = this.makeTrack(name, `live_set return_tracks ${this.song.return_tracks.length}`);
    this.song.return_tracks.push(t);
    return t;
  }

  /**
   * Add a device to a track or chain.
   * @param {object} holder a track or chain.
   * @param {string} name device name.
   * @param {Array<{name, min?, max?, quantized?, items?, value?}>} params parameters after
   *     "Device On".
   */
  addDevice(holder, name, params, opts) {
    const o = opts || {};
    const path = `${holder.path} devices ${holder.devices.length}`;
    const dev = this.register({
      kind: "device",
      name,
      path,
      parent: holder,
      class_name: o.className || "PluginDevice",
      parameters: [],
      chains: [],
      devices: undefined,
    });
    holder.devices.push(dev);
    const all = [{ name: "Device On", min: 0, max: 1, quantized: true, items: ["Off", "On"], value: 1 }]
      .concat(params || []);
    all.forEach((p, i) => {
      const quantized = Boolean(p.quantized);
      const min = p.min === undefined ? 0 : p.min;
      const max = p.max === undefined ? (quantized && p.items ? p.items.length - 1 : 1) : p.max;
      dev.parameters.push(this.register({
        kind: "parameter",
        path: `${path} parameters ${i}`,
        parent: dev,
        name: p.name,
        min,
        max,
        quantized,
        items: quantized ? (p.items || Array.from({ length: max - min + 1 }, (_, k) => `step ${k}`)) : [],
        value: p.value === undefined ? min : p.value,
      }));
    });
    if (o.self) {
      this.thisDevice = dev;
    }
    return dev;
  }

  addChain(rack, name) {
    const chain = this.register({
      kind: "chain",
      name,
      path: `${rack.path} chains ${rack.chains.length}`,
      parent: rack,
      devices: [],
    });
    rack.chains.push(chain);
    return chain;
  }

  resolve(pathText) {
    const words = String(pathText).replace(/"/g, "").trim().split(/\s+/);
    let obj = null;
    let k = 0;
    if (words[0] === "live_set") {
      obj = this.song;
      k = 1;
    } else if (words[0] === "this_device") {
      obj = this.thisDevice;
      k = 1;
    } else if (words[0] === "id") {
      obj = this.objects.get(Number(words[1])) || null;
      k = 2;
    } else {
      return null;
    }
    while (obj && k < words.length) {
      const w = words[k];
      if (w === "view" && obj.kind === "song") {
        obj = this.view;
        k += 1;
      } else if (w === "master_track" && obj.kind === "song") {
        obj = obj.master_track;
        k += 1;
      } else if (w === "selected_track" && obj.kind === "view") {
        obj = this.objects.get(obj.selected_track) || null;
        k += 1;
      } else if (w === "view" && obj.kind === "track") {
        obj = obj.view;
        k += 1;
      } else if (["tracks", "return_tracks", "devices", "parameters", "chains"].includes(w)) {
        const list = obj[w];
        const i = Number(words[k + 1]);
        obj = Array.isArray(list) && Number.isInteger(i) ? list[i] || null : null;
        k += 2;
      } else {
        return null;
      }
    }
    return obj;
  }

  getProp(obj, prop) {
    switch (prop) {
      case "name":
        return String(obj.name).split(" "); // some Max versions split names into words
      case "min":
        return [obj.min];
      case "max":
        return [obj.max];
      case "value":
        return [obj.value];
      case "is_quantized":
        return [obj.quantized ? 1 : 0];
      case "value_items":
        return obj.items.slice();
      case "can_have_chains":
        return [obj.chains && obj.chains.length ? 1 : 0];
      case "class_name":
        return [obj.class_name];
      case "canonical_parent":
        return ["id", obj.parent ? obj.parent.id : 0];
      case "appointed_device":
        return ["id", obj.appointed_device || 0];
      case "selected_parameter":
        return ["id", obj.selected_parameter || 0];
      case "selected_track":
        return ["id", obj.selected_track || 0];
      case "selected_device":
        return ["id", obj.selected_device || 0];
      case "is_playing":
        return [obj.is_playing ? 1 : 0];
      case "automation_state":
        return [obj.automation_state || 0];
      default:
        throw new Error(`mock LiveAPI: no property ${prop} on ${obj.kind}`);
    }
  }

  setProp(obj, prop, value) {
    if (obj.kind !== "parameter" || prop !== "value") {
      throw new Error(`mock LiveAPI: cannot set ${prop} on ${obj.kind}`);
    }
    const v = Number(value);
    if (!Number.isFinite(v) || v < Math.min(obj.min, obj.max) || v > Math.max(obj.min, obj.max)) {
      throw new Error(`value ${value} outside ${obj.min}..${obj.max} for ${obj.name}`);
    }
    if (obj.quantized && !Number.isInteger(v)) {
      throw new Error(`quantized parameter ${obj.name} set to ${v}`);
    }
    if (this.controlled.has(obj.id)) {
      throw new Error(`${obj.name} is controlled by live.remote~ slot ${this.controlled.get(obj.id)}`);
    }
    obj.value = v;
    this.writes.push({ id: obj.id, name: obj.name, value: v, grouped: this.openUndo > 0 });
    if (this.openUndo > 0) {
      this.openEntry.changes += 1;
    } else {
      this.undoEntries.push({ changes: 1 });
    }
  }

  call(obj, fn) {
    this.calls.push(fn);
    if (obj.kind !== "song") {
      throw new Error(`mock LiveAPI: no function ${fn} on ${obj.kind}`);
    }
    if (fn === "begin_undo_step") {
      if (this.openUndo === 0) {
        this.openEntry = { changes: 0 };
      }
      this.openUndo += 1;
    } else if (fn === "end_undo_step") {
      this.openUndo = Math.max(0, this.openUndo - 1);
      if (this.openUndo === 0 && this.openEntry) {
        if (this.openEntry.changes > 0) {
          this.undoEntries.push(this.openEntry);
        }
        this.openEntry = null;
      }
    } else {
      throw new Error(`mock LiveAPI: unknown function ${fn}`);
    }
  }

  /** The user clicks a device's title bar. */
  appoint(device) {
    this.song.appointed_device = device.id;
    this.notify("appointed_device", device.id);
  }

  /** The user clicks a parameter's control. */
  selectParameter(param) {
    this.view.selected_parameter = param.id;
    this.notify("selected_parameter", param.id);
  }

  /**
   * The user clicks a device's title bar with no control surface: Live selects its track and the
   * device in that track's view (appointed_device does not follow).
   */
  selectDevice(device) {
    let track = device.parent;
    while (track.kind !== "track") {
      track = track.parent.parent; // chain -> rack device -> its holder
    }
    this.view.selected_track = track.id;
    this.notify("selected_track", track.id, this.view);
    track.view.selected_device = device.id;
    this.notify("selected_device", device.id, track.view);
  }

  notify(prop, id, obj) {
    for (const o of this.observers.slice()) {
      if (o.property === prop && (!obj || o.api._obj === obj)) {
        o.callback([prop, "id", id]);
      }
    }
  }

  parameterByName(device, name) {
    return device.parameters.find((p) => p.name === name);
  }
}

function makeLiveAPIClass(set) {
  function LiveAPI(a, b) {
    let callback = null;
    let p = a;
    if (typeof a === "function") {
      callback = a;
      p = b;
    }
    this._callback = callback;
    this._obj = p === undefined || p === null ? null : set.resolve(p);
    this._property = "";
  }
  Object.defineProperty(LiveAPI.prototype, "id", {
    get() {
      return this._obj ? String(this._obj.id) : "0";
    },
  });
  Object.defineProperty(LiveAPI.prototype, "path", {
    get() {
      return this._obj ? `"${this._obj.path}"` : "";
    },
  });
  Object.defineProperty(LiveAPI.prototype, "property", {
    get() {
      return this._property;
    },
    set(prop) {
      set.observers = set.observers.filter((o) => o.api !== this);
      this._property = prop;
      if (prop && this._obj) {
        const entry = { api: this, property: prop, callback: (args) => this._callback && this._callback(args) };
        set.observers.push(entry);
        entry.callback([prop].concat(set.getProp(this._obj, prop))); // Live reports the current value
      }
    },
  });
  LiveAPI.prototype.goto = function (p) {
    this._obj = set.resolve(p);
  };
  LiveAPI.prototype.get = function (prop) {
    if (!this._obj) {
      throw new Error("mock LiveAPI: get on id 0");
    }
    return set.getProp(this._obj, prop);
  };
  LiveAPI.prototype.set = function (prop, value) {
    if (!this._obj) {
      throw new Error("mock LiveAPI: set on id 0");
    }
    set.setProp(this._obj, prop, value);
  };
  LiveAPI.prototype.call = function (fn) {
    if (!this._obj) {
      throw new Error("mock LiveAPI: call on id 0");
    }
    return set.call(this._obj, fn);
  };
  LiveAPI.prototype.getcount = function (child) {
    const list = this._obj && this._obj[child];
    return Array.isArray(list) ? list.length : 0;
  };
  return LiveAPI;
}

// ----------------------------------------------------------------------------------------------
// Buffers and files

/** A sine tone, as record~ would leave it in a stereo buffer. */
function toneChannels(freqHz, sampleRate, seconds, channels, amplitude) {
  const n = Math.round(sampleRate * seconds);
  const out = [];
  for (let c = 0; c < channels; c++) {
    const ch = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      ch[i] = (amplitude || 0.5) * Math.sin(2 * Math.PI * freqHz * i / sampleRate);
    }
    out.push(ch);
  }
  return out;
}

function makeBufferClass(env) {
  function Buffer(name) {
    this.name = String(name);
  }
  Buffer.prototype._data = function () {
    const b = env.buffers[this.name];
    if (!b) {
      throw new Error(`no buffer~ named ${this.name}`);
    }
    return b;
  };
  Buffer.prototype.framecount = function () {
    return this._data().channels[0].length;
  };
  Buffer.prototype.channelcount = function () {
    return this._data().channels.length;
  };
  Buffer.prototype.peek = function (channel, frame, count) {
    const ch = this._data().channels[channel - 1];
    return Array.from(ch.subarray(frame, frame + count));
  };
  Buffer.prototype.send = function () {
    env.bufferMessages.push({ name: this.name, args: Array.from(arguments) });
    if (env.onBufferMessage) {
      env.onBufferMessage(this.name, Array.from(arguments));
    }
  };
  return Buffer;
}

/** Max's File object on top of node's fs (the subset the device uses). */
function makeFileClass() {
  function File(filePath, access, typelist) {
    this.filename = String(filePath);
    this.access = access || "read";
    this.typelist = typelist;
    this.byteorder = "big";
    this.position = 0;
    this._buf = Buffer.alloc(0);
    this._len = 0;
    this.isopen = false;
    try {
      if (fs.existsSync(this.filename)) {
        this._buf = fs.readFileSync(this.filename);
        this._len = this._buf.length;
        this.isopen = true;
      } else if (this.access !== "read") {
        fs.writeFileSync(this.filename, Buffer.alloc(0));
        this.isopen = true;
      }
    } catch (e) {
      this.isopen = false;
    }
  }
  Object.defineProperty(File.prototype, "eof", {
    get() {
      return this._len;
    },
    set(n) {
      this._ensure(n);
      this._len = n;
    },
  });
  File.prototype._ensure = function (n) {
    if (this._buf.length < n) {
      const grown = Buffer.alloc(Math.max(n, this._buf.length * 2));
      this._buf.copy(grown, 0, 0, this._len);
      this._buf = grown;
    }
  };
  File.prototype._write = function (bytes) {
    this._ensure(this.position + bytes.length);
    bytes.copy(this._buf, this.position);
    this.position += bytes.length;
    this._len = Math.max(this._len, this.position);
  };
  File.prototype._numbers = function (values, size, writer) {
    const list = Array.isArray(values) ? values : [values];
    const out = Buffer.alloc(list.length * size);
    const little = this.byteorder === "little";
    list.forEach((v, i) => writer(out, Number(v), i * size, little));
    this._write(out);
  };
  File.prototype.writebytes = function (values) {
    this._write(Buffer.from((Array.isArray(values) ? values : [values]).map((v) => v & 255)));
  };
  File.prototype.writestring = function (s) {
    this._write(Buffer.from(String(s), "utf8"));
  };
  File.prototype.writeint16 = function (values) {
    this._numbers(values, 2, (b, v, o, le) => (le ? b.writeInt16LE(v, o) : b.writeInt16BE(v, o)));
  };
  File.prototype.writeint32 = function (values) {
    this._numbers(values, 4, (b, v, o, le) => (le ? b.writeInt32LE(v, o) : b.writeInt32BE(v, o)));
  };
  File.prototype.writefloat32 = function (values) {
    this._numbers(values, 4, (b, v, o, le) => (le ? b.writeFloatLE(v, o) : b.writeFloatBE(v, o)));
  };
  File.prototype.readstring = function (count) {
    const end = Math.min(this._len, this.position + count);
    const s = this._buf.toString("utf8", this.position, end);
    this.position = end;
    return s;
  };
  File.prototype.close = function () {
    if (this.isopen && this.access !== "read") {
      fs.writeFileSync(this.filename, this._buf.subarray(0, this._len));
    }
    this.isopen = false;
  };
  return File;
}

/** Parse a WAV file (PCM 16/24/32 or float 32) into channel arrays. */
function readWav(bytes) {
  if (bytes.toString("ascii", 0, 4) !== "RIFF" || bytes.toString("ascii", 8, 12) !== "WAVE") {
    throw new Error("not a RIFF/WAVE file");
  }
  let pos = 12;
  let fmt = null;
  let data = null;
  while (pos + 8 <= bytes.length) {
    const id = bytes.toString("ascii", pos, pos + 4);
    const size = bytes.readUInt32LE(pos + 4);
    const body = bytes.subarray(pos + 8, pos + 8 + size);
    if (id === "fmt ") {
      fmt = {
        format: body.readUInt16LE(0),
        channels: body.readUInt16LE(2),
        sampleRate: body.readUInt32LE(4),
        bits: body.readUInt16LE(14),
      };
    } else if (id === "data") {
      data = body;
    }
    pos += 8 + size + (size % 2);
  }
  if (!fmt || !data) {
    throw new Error("WAV file without fmt or data chunk");
  }
  const bytesPer = fmt.bits / 8;
  const frames = Math.floor(data.length / (bytesPer * fmt.channels));
  const channels = [];
  for (let c = 0; c < fmt.channels; c++) {
    channels.push(new Float32Array(frames));
  }
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < fmt.channels; c++) {
      const o = (i * fmt.channels + c) * bytesPer;
      let v;
      if (fmt.format === 3 && fmt.bits === 32) {
        v = data.readFloatLE(o);
      } else if (fmt.bits === 16) {
        v = data.readInt16LE(o) / 32768;
      } else if (fmt.bits === 24) {
        v = data.readIntLE(o, 3) / 8388608;
      } else if (fmt.bits === 32) {
        v = data.readInt32LE(o) / 2147483648;
      } else {
        throw new Error(`unsupported WAV format ${fmt.format}/${fmt.bits}`);
      }
      channels[c][i] = v;
    }
  }
  return { format: fmt.format, bits: fmt.bits, sampleRate: fmt.sampleRate, channels };
}

// ----------------------------------------------------------------------------------------------
// The environment

const RECV_OUTLET = 1;
const STATUS_OUTLET = 3;
const REMOTE_VALUE_OUTLET = 4;
const REMOTE_ID_OUTLET = 5;
const STATE_OUTLET = 6;

class MaxEnv {
  /**
   * @param {object} opts
   * @param {"fake"|"real"} opts.clock fake (manual) or real timers.
   * @param {MockLiveSet} opts.live the Live Set.
   * @param {string} opts.os "macintosh" or "windows".
   */
  constructor(opts) {
    const o = opts || {};
    this.scheduler = o.clock === "real" ? new RealScheduler() : new FakeScheduler();
    this.live = o.live || new MockLiveSet();
    this.capBuffer = "123pf_cap";
    this.fileBuffer = "123pf_file";
    this.buffers = {};
    this.bufferMessages = [];
    this.outlets = {};
    this.status = {};
    this.posts = [];
    this.errors = [];
    this.remoteIds = new Map(); // slot -> parameter id (0 = released)
    this.remoteValues = []; // {slot, value}
    this.savedState = null;
    this.onOutlet = null;
    this.onBufferMessage = null;
    const self = this;
    const context = {
      jsarguments: ["patchflow_device.js", this.capBuffer, this.fileBuffer],
      messagename: "",
      inlet: 0,
      inlets: 1,
      outlets: 1,
      autowatch: 0,
      max: { os: o.os || "macintosh" },
      post: (...args) => self.posts.push(args.join(" ")),
      error: (...args) => self.posts.push(`error: ${args.join(" ")}`),
      include: () => {},
      setinletassist: () => {},
      setoutletassist: () => {},
      outlet: (n, ...rest) => self._outlet(n, rest.length === 1 && Array.isArray(rest[0]) ? rest[0] : rest),
      Task: makeTaskClass(this.scheduler, (e) => self.errors.push(e)),
      Buffer: makeBufferClass(this),
      File: makeFileClass(),
      LiveAPI: makeLiveAPIClass(this.live),
      Date: this.scheduler.makeDate(),
      Math,
      JSON,
      Float32Array,
    };
    this.context = vm.createContext(context);
  }

  /** Load the device script (default: the bundle build.js ships). */
  load(scriptText) {
    vm.runInContext(scriptText || bundleJs(), this.context, { filename: "patchflow_device.js" });
    return this;
  }

  get S() {
    return this.context.S;
  }

  _outlet(n, atoms) {
    const list = Array.from(atoms, (a) => (typeof a === "number" || typeof a === "string" ? a : String(a)));
    (this.outlets[n] = this.outlets[n] || []).push(list);
    if (n === STATUS_OUTLET) {
      this.status[list[0]] = list.slice(1).join(" ");
    } else if (n === REMOTE_ID_OUTLET) {
      const slot = Number(list[0]);
      const id = Number(list[2]);
      const old = this.remoteIds.get(slot);
      if (old) {
        this.live.controlled.delete(old);
      }
      this.remoteIds.set(slot, id);
      if (id) {
        this.live.controlled.set(id, slot);
      }
    } else if (n === REMOTE_VALUE_OUTLET) {
      const slot = Number(list[0]);
      const id = this.remoteIds.get(slot);
      if (!id) {
        throw new Error(`live.remote~ slot ${slot} got a value without an id`);
      }
      const param = this.live.objects.get(id);
      this.remoteValues.push({ slot, id, name: param.name, value: Number(list[1]) });
    } else if (n === STATE_OUTLET) {
      this.savedState = list.join(" ");
      this.stateWrites = (this.stateWrites || 0) + 1;
    } else if (n === RECV_OUTLET && list[0] === "port" && this.followReplyPort) {
      this.replyBound = this._bindReply(Number(list[1])).catch(() => {}); // errors land in this.errors
    }
    if (this.onOutlet) {
      this.onOutlet(n, list);
    }
  }

  /** Send a message to the script's inlet, as Max would. */
  send(selector, ...args) {
    const ctx = this.context;
    ctx.messagename = String(selector);
    if (typeof selector === "number") {
      const fn = Number.isInteger(selector) ? ctx.msg_int : ctx.msg_float;
      return fn ? fn(selector) : ctx.anything(...args);
    }
    if (typeof ctx[selector] === "function" && !String(selector).startsWith("/")) {
      return ctx[selector](...args);
    }
    return ctx.anything(...args);
  }

  /** Messages that went out of outlet n. */
  out(n) {
    return this.outlets[n] || [];
  }

  clearOutlets() {
    this.outlets = {};
  }

  /** Advance the fake clock. */
  advance(ms) {
    this.scheduler.advance(ms);
    if (this.errors.length) {
      throw this.errors[0];
    }
  }

  setTone(freqHz, sampleRate, seconds) {
    this.buffers[this.capBuffer] = { sampleRate, channels: toneChannels(freqHz, sampleRate, seconds || 4, 2) };
  }

  /**
   * Play [udpsend] and [udpreceive]: what the script sends out of outlet 0 goes to the server
   * over UDP, and datagrams arriving at the reply port come back into the script.
   */
  /**
   * @param {number} serverPort where [udpsend] sends.
   * @param {number|null} replyPort the port [udpreceive] listens on; null: whatever port the
   *     device asks for ("port N" out of its outlet 1), as [udpreceive] would.
   */
  async connectUdp(serverPort, replyPort) {
    this.serverPort = serverPort;
    this.serverHost = "127.0.0.1";
    this.udpOut = dgram.createSocket("udp4");
    this.datagramSizes = [];
    this.followReplyPort = replyPort === null || replyPort === undefined;
    if (!this.followReplyPort) {
      await this._bindReply(replyPort);
    }
    await new Promise((resolve, reject) => {
      this.udpOut.once("error", reject);
      this.udpOut.bind(0, "127.0.0.1", resolve);
    });
    const previous = this.onOutlet;
    this.onOutlet = (n, atoms) => {
      if (previous) {
        previous(n, atoms);
      }
      if (n !== 0) {
        return;
      }
      if (atoms[0] === "host") {
        this.serverHost = String(atoms[1]) === "localhost" ? "127.0.0.1" : String(atoms[1]);
        return;
      }
      if (atoms[0] === "port") {
        this.serverPort = Number(atoms[1]);
        return;
      }
      const bytes = Buffer.from(PF.oscEncode(atoms[0], atoms.slice(1)));
      this.datagramSizes.push(bytes.length);
      this.udpOut.send(bytes, this.serverPort, this.serverHost);
    };
  }

  /** (Re)bind the reply socket to port, as [udpreceive] does on "port N". */
  _bindReply(port) {
    if (this.udpIn && this.replyPort === port) {
      return Promise.resolve();
    }
    if (this.udpIn) {
      try {
        this.udpIn.close();
      } catch (e) {
        // already closed
      }
    }
    this.replyPort = port;
    const sock = dgram.createSocket("udp4");
    this.udpIn = sock;
    sock.on("message", (msg) => {
      if (this.closed) {
        return;
      }
      let decoded;
      try {
        decoded = PF.oscDecode(msg);
      } catch (e) {
        this.errors.push(e);
        return;
      }
      try {
        this.send(decoded.address, ...decoded.args);
      } catch (e) {
        this.errors.push(e);
      }
    });
    return new Promise((resolve, reject) => {
      sock.on("error", (e) => {
        this.errors.push(e);
        reject(e);
      });
      sock.bind(port, "127.0.0.1", resolve);
    });
  }

  /** Play buffer~ ---pf_file: a "replace <path>" loads the file, then info~ and the bang. */
  emulateFileBuffer() {
    this.onBufferMessage = (name, args) => {
      if (name !== this.fileBuffer || args[0] !== "replace") {
        return;
      }
      const wav = readWav(fs.readFileSync(String(args[1])));
      this.buffers[this.fileBuffer] = { sampleRate: wav.sampleRate, channels: wav.channels };
      setImmediate(() => {
        this.send("filesr", wav.sampleRate);
        this.send("fileloaded");
      });
    };
  }

  /** Remove the device: its tasks, timers and sockets go (safe to call twice). */
  close() {
    if (this.closed) {
      return;
    }
    this.closed = true;
    try {
      if (typeof this.context.notifydeleted === "function") {
        this.context.notifydeleted();
      }
    } catch (e) {
      // the script may not have loaded
    }
    if (this.scheduler.close) {
      this.scheduler.close();
    }
    for (const s of [this.udpIn, this.udpOut]) {
      if (s) {
        try {
          s.close();
        } catch (e) {
          // already closed
        }
      }
    }
  }
}

/** Resolve when predicate() is true, polling; reject after timeoutMs. */
function waitFor(predicate, timeoutMs, what) {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      let ok = false;
      try {
        ok = predicate();
      } catch (e) {
        reject(e);
        return;
      }
      if (ok) {
        resolve();
      } else if (Date.now() - start > timeoutMs) {
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what || "a condition"}`));
      } else {
        setTimeout(tick, 10);
      }
    };
    tick();
  });
}

module.exports = {
  FakeScheduler,
  RealScheduler,
  MockLiveSet,
  MaxEnv,
  makeLiveAPIClass,
  makeFileClass,
  readWav,
  toneChannels,
  waitFor,
};
