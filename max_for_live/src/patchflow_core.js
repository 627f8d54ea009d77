/*
 * patchflow_core.js - pure logic of the patchflow Max for Live device.
 *
 * Runs unchanged in two places:
 *   - Max's classic [js] object (ES5, no require): build.js concatenates this file in front of
 *     patchflow_device.js, and the device finds everything under the global `PF`.
 *   - node (tests): `require("./patchflow_core.js")` returns the same object.
 *
 * Nothing here touches Max or Live: scaling and snapping values into a Live parameter's range,
 * matching model parameter names to Live parameter names, coalescing and throttling macro streams,
 * the OSC byte layout (used by the tests and the node harness to stand in for [udpsend] and
 * [udpreceive]), splitting audio into datagram-sized chunks, the WAV header for local file
 * transport, path conversion, and the saved-state and mapping-file formats.
 *
 * Keep it ES5: no let/const, arrow functions, classes, template strings or spread.
 */
var PF = (function () {
  "use strict";

  var api = {};

  api.PROTOCOL_VERSION = 1;
  /** Largest datagram the protocol allows (docs/protocol.md). */
  api.MAX_DATAGRAM_BYTES = 8192;
  /** Most floats per /patchflow/match/chunk message (docs/protocol.md). */
  api.MAX_CHUNK_FLOATS = 1600;
  api.DEFAULT_SEND_PORT = 9130;
  api.DEFAULT_REPLY_PORT = 9131;
  api.MIN_LENGTH_S = 0.5;
  api.MAX_LENGTH_S = 4.0;

  api.ADDR = {
    ping: "/patchflow/ping",
    pong: "/patchflow/pong",
    info: "/patchflow/info",
    names: "/patchflow/names",
    matchFile: "/patchflow/match/file",
    matchBegin: "/patchflow/match/begin",
    matchChunk: "/patchflow/match/chunk",
    matchEnd: "/patchflow/match/end",
    macro: "/patchflow/macro",
    morph: "/patchflow/morph",
    params: "/patchflow/params",
    nativeValues: "/patchflow/native",
    latency: "/patchflow/latency",
    error: "/patchflow/error"
  };

  /**
   * Streaming and per-instance messages (docs/protocol.md, protocol additions): kept apart from
   * ADDR, which mirrors the bridge's original address table one to one.
   *   hello <reply_port:i>                     device -> server: send my replies to this port
   *   hello <reply_port:i> <protocol_version:i> <search_budget_s:f>  server -> device: registered
   *                                            (search_budget_s also ends /patchflow/info; 0: no
   *                                            stream follows a first answer; absent: older server)
   *   note <id:i> <midi:f> <confidence:f> <octaves_shifted:i>   detected note (midi -1: unpitched)
   *   score <id:i> <score:f> <final:i>         after each improvement; final 1 ends the stream
   *   candidate <id:i> <rank:i> <score:f> <v...>  top-K distinct patches, before the final score
   */
  api.ADDR_STREAM = {
    hello: "/patchflow/hello",
    note: "/patchflow/note",
    score: "/patchflow/score",
    candidate: "/patchflow/candidate"
  };

  /**
   * The server's search budget in seconds from a hello answer (index 2) or an info reply
   * (index 6): a number >= 0, or null when the server is too old to send it (or sent garbage).
   */
  api.searchBudgetArg = function (args, index) {
    if (!args || args.length <= index) {
      return null;
    }
    var v = Number(args[index]);
    return isFinite(v) && v >= 0 ? v : null;
  };

  /** First port of the range the automatic per-instance reply ports come from. */
  api.AUTO_REPLY_PORT_BASE = 20000;
  api.AUTO_REPLY_PORT_SPAN = 20000;
  /** Request ids of one instance: idBase(device) + 1 .. idBase(device) + ID_SPAN - 1. */
  api.ID_SPAN = 1000000;
  api.ID_BASES = 2000;

  function deviceNumber(deviceId) {
    var n = Math.abs(Math.round(Number(deviceId)));
    return isFinite(n) ? n : 0;
  }

  /**
   * The reply port an instance listens on when its Reply setting is 0 (auto): derived from the
   * device's Live id, which is unique among the devices of an open Set, so two instances of the
   * device in one Set never share a port (ids that differ by a multiple of the span aside).
   */
  api.autoReplyPort = function (deviceId) {
    return api.AUTO_REPLY_PORT_BASE + (deviceNumber(deviceId) % api.AUTO_REPLY_PORT_SPAN);
  };

  /**
   * The first request id of an instance: instances draw ids from disjoint ranges of ID_SPAN, so
   * a reply can never be mistaken for another instance's (int32: at most 2000 * 1e6 + 1e6).
   */
  api.idBase = function (deviceId) {
    return ((deviceNumber(deviceId) % api.ID_BASES) + 1) * api.ID_SPAN;
  };

  /** The request id after `id` in the instance whose ids start at `base` (wraps inside the range). */
  api.nextRequestId = function (id, base) {
    var next = id + 1;
    if (next <= base || next >= base + api.ID_SPAN) {
      next = base + 1;
    }
    return next;
  };

  var NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];

  /** "A4" for MIDI 69 (nearest note; C4 is 60). Empty for an unpitched value (< 0). */
  api.noteName = function (midi) {
    var m = Number(midi);
    if (!isFiniteNumber(m) || m < 0) {
      return "";
    }
    var k = Math.round(m);
    return NOTE_NAMES[((k % 12) + 12) % 12] + String(Math.floor(k / 12) - 1);
  };

  /**
   * The note line for a /patchflow/note reply: the detected note and, when the patch had to be
   * moved into the synth's range, the hint to play the match at the note it was rendered for.
   * @return {{text: string, hint: string}}
   */
  api.describeNote = function (midi, confidence, octavesShifted) {
    var name = api.noteName(midi);
    if (!name) {
      return { text: "unpitched sound", hint: "" };
    }
    var cents = Math.round((Number(midi) - Math.round(Number(midi))) * 100);
    var text = "note " + name + (cents ? (cents > 0 ? " +" : " ") + cents + " ct" : "")
      + " (" + Math.round(clamp(Number(confidence) || 0, 0, 1) * 100) + "%)";
    var shift = Math.round(Number(octavesShifted) || 0);
    var played = api.noteName(Math.round(Number(midi)) + 12 * shift);
    var hint = "play " + name + " to hear the match";
    if (shift !== 0) {
      hint = "matched " + Math.abs(shift) + " octave" + (Math.abs(shift) > 1 ? "s " : " ")
        + (shift > 0 ? "up" : "down") + ": play " + played + " to hear it";
    }
    return { text: text, hint: hint };
  };

  // ------------------------------------------------------------------------------------------
  // Numbers

  function isFiniteNumber(x) {
    return typeof x === "number" && isFinite(x);
  }

  function isIntegral(x) {
    return isFiniteNumber(x) && Math.floor(x) === x;
  }

  function clamp(x, lo, hi) {
    return x < lo ? lo : (x > hi ? hi : x);
  }

  api.isIntegral = isIntegral;
  api.clamp = clamp;

  /**
   * Scale a normalised 0..1 model value into a Live parameter's own range and snap it.
   *
   * @param {number} value01 model value, 0..1 (clamped).
   * @param {{min:number, max:number, quantized:boolean}} param Live parameter description.
   * @param {number[]=} range optional [lo, hi] in the Live parameter's units that 0..1 spans
   *     instead of min..max (from a mapping file: a plug-in's raw range, e.g. Surge's envelope
   *     times that a model learned over raw 0..0.77).
   * @return {number|null} the Live value, or null when value01 is not a finite number.
   */
  api.scaleToLive = function (value01, param, range) {
    if (!isFiniteNumber(value01)) {
      return null;
    }
    var lo = Number(param.min);
    var hi = Number(param.max);
    if (range && range.length === 2 && isFiniteNumber(range[0]) && isFiniteNumber(range[1])) {
      lo = range[0];
      hi = range[1];
    }
    var v = lo + clamp(value01, 0, 1) * (hi - lo);
    return api.snapToParam(v, param);
  };

  /**
   * Clamp a value into min..max and, for a quantized parameter, round it to the nearest step.
   * Live's quantized parameters (menus, switches, stepped knobs) take whole values min..max.
   */
  api.snapToParam = function (value, param) {
    var lo = Math.min(Number(param.min), Number(param.max));
    var hi = Math.max(Number(param.min), Number(param.max));
    var v = clamp(value, lo, hi);
    if (param.quantized) {
      v = clamp(Math.round(v), Math.ceil(lo), Math.floor(hi));
    }
    return v;
  };

  /** Inverse of scaleToLive (without snapping): a Live value as 0..1 of the parameter's range. */
  api.liveToUnit = function (value, param) {
    var lo = Number(param.min);
    var hi = Number(param.max);
    if (hi === lo) {
      return 0;
    }
    return clamp((value - lo) / (hi - lo), 0, 1);
  };

  // ------------------------------------------------------------------------------------------
  // Name matching

  /** Token synonyms: spelling variants used by synths and model specs, mapped to one form. */
  var SYNONYMS = {
    oscillator: "osc", oscillators: "osc", osc: "osc",
    frequency: "freq", freq: "freq",
    resonance: "res", reso: "res", res: "res",
    envelope: "env", env: "env", eg: "env",
    cutoff: "cutoff", cut: "cutoff",
    filter: "filter", filt: "filter", flt: "filter",
    attack: "attack", atk: "attack", att: "attack",
    decay: "decay", dec: "decay",
    sustain: "sustain", sus: "sustain",
    release: "release", rel: "release",
    volume: "vol", vol: "vol",
    amplitude: "amp", amp: "amp",
    modulation: "mod", mod: "mod",
    amount: "amt", amt: "amt",
    sawtooth: "saw", saw: "saw",
    triangle: "tri", tri: "tri",
    square: "square", sqr: "square",
    sine: "sine", sin: "sine",
    detune: "detune", dtn: "detune",
    semitones: "semi", semitone: "semi", semi: "semi"
  };

  /** Unit suffixes carry no identity ("cutoff_hz" is the "Cutoff" knob). */
  var UNIT_TOKENS = { hz: 1, khz: 1, ms: 1, sec: 1, secs: 1, db: 1, pct: 1, percent: 1, cents: 1, bpm: 1 };

  /**
   * Split a parameter name into normalised tokens.
   *
   * "A Osc 1 Pitch", "osc1_pitch" and "Osc1Pitch" all give ["osc", "1", "pitch"] (after the
   * single-letter rule in matchNames). camelCase and letter/digit boundaries split words,
   * everything that is not a letter or digit separates, numbers lose leading zeros, common
   * abbreviations map to one spelling, and unit words (hz, ms, db, ...) are dropped when the
   * name has other words ("cutoff_hz" -> ["cutoff"]).
   */
  api.tokenize = function (name) {
    var s = String(name === undefined || name === null ? "" : name);
    s = s.replace(/([a-z])([A-Z])/g, "$1 $2");
    s = s.replace(/([A-Za-z])([0-9])/g, "$1 $2");
    s = s.replace(/([0-9])([A-Za-z])/g, "$1 $2");
    s = s.toLowerCase().replace(/[^a-z0-9]+/g, " ");
    var raw = s.split(" ");
    var out = [];
    for (var i = 0; i < raw.length; i++) {
      var t = raw[i];
      if (!t) {
        continue;
      }
      if (/^[0-9]+$/.test(t)) {
        t = String(parseInt(t, 10));
      } else if (Object.prototype.hasOwnProperty.call(SYNONYMS, t)) {
        t = SYNONYMS[t];
      }
      if (t) {
        out.push(t);
      }
    }
    var named = [];
    for (i = 0; i < out.length; i++) {
      if (UNIT_TOKENS[out[i]] !== 1) {
        named.push(out[i]);
      }
    }
    return named.length > 0 ? named : out;
  };

  /** The normalised form of a name: its tokens joined by single spaces. */
  api.normaliseName = function (name) {
    return api.tokenize(name).join(" ");
  };

  function sortedKey(tokens) {
    return tokens.slice().sort().join(" ");
  }

  function withoutSingleLetters(tokens) {
    var out = [];
    for (var i = 0; i < tokens.length; i++) {
      if (!/^[a-z]$/.test(tokens[i])) {
        out.push(tokens[i]);
      }
    }
    return out;
  }

  function tokenSet(tokens) {
    var set = {};
    var n = 0;
    for (var i = 0; i < tokens.length; i++) {
      if (set[tokens[i]] !== true) {
        set[tokens[i]] = true;
        n += 1;
      }
    }
    return { set: set, size: n };
  }

  /** Jaccard similarity of two token lists (as sets). */
  function jaccard(a, b) {
    var sa = tokenSet(a);
    var sb = tokenSet(b);
    var inter = 0;
    for (var k in sa.set) {
      if (Object.prototype.hasOwnProperty.call(sa.set, k) && sb.set[k] === true) {
        inter += 1;
      }
    }
    var union = sa.size + sb.size - inter;
    return union === 0 ? 0 : inter / union;
  }

  api.jaccard = jaccard;

  api.FUZZY_THRESHOLD = 0.75;

  /**
   * Pair model parameter names with Live parameters.
   *
   * Stages, each over what is still unpaired on both sides, in this order:
   *   1. "mapping": the editable mapping (model name -> Live name, or -> {live: name, range:
   *      [lo, hi]}; "" or null = leave unmapped);
   *   2. "exact": identical strings;
   *   3. "normalised": same tokens in the same order (see tokenize);
   *   4. "tokens": same tokens in any order;
   *   5. "tokens-no-prefix": same tokens after dropping single-letter tokens (Surge's scene "A");
   *      when several Live parameters qualify (scenes A and B), the first in Live's order wins;
   *   6. "fuzzy": token Jaccard similarity >= FUZZY_THRESHOLD with a unique best candidate.
   * A Live parameter is used at most once. "Device On" is never matched automatically.
   *
   * @param {string[]} modelNames names in spec order.
   * @param {{name:string}[]} liveParams Live parameters (any extra fields are kept).
   * @param {Object<string,string>} mapping editable mapping (may be empty).
   * @return {{pairs: Array, unmatched: string[], unusedLive: string[]}} pairs sorted by model
   *     index; each pair is {modelIndex, modelName, liveIndex, live, how, range} (range only
   *     from mapping entries that give one).
   */
  api.matchNames = function (modelNames, liveParams, mapping) {
    var map = mapping || {};
    var nModel = modelNames.length;
    var nLive = liveParams.length;
    var modelDone = [];
    var liveUsed = [];
    var pairs = [];
    var i;
    var j;
    for (i = 0; i < nModel; i++) {
      modelDone.push(false);
    }
    for (j = 0; j < nLive; j++) {
      liveUsed.push(false);
    }

    function pair(mi, lj, how, range) {
      modelDone[mi] = true;
      liveUsed[lj] = true;
      var entry = {
        modelIndex: mi,
        modelName: modelNames[mi],
        liveIndex: lj,
        live: liveParams[lj],
        how: how
      };
      if (range) {
        entry.range = range;
      }
      pairs.push(entry);
    }

    // Stage 1: the explicit mapping.
    for (i = 0; i < nModel; i++) {
      if (!Object.prototype.hasOwnProperty.call(map, modelNames[i])) {
        continue;
      }
      var entry = map[modelNames[i]];
      var target = entry;
      var range = null;
      if (entry && typeof entry === "object") {
        target = entry.live;
        range = entry.range || null;
      }
      modelDone[i] = true; // explicitly mapped or explicitly left unmapped
      if (target === null || target === undefined || target === "") {
        continue;
      }
      for (j = 0; j < nLive; j++) {
        if (!liveUsed[j] && liveParams[j].name === target) {
          modelDone[i] = false;
          pair(i, j, "mapping", range);
          break;
        }
      }
    }

    function keyStage(how, keyOf) {
      var index = {};
      var k;
      for (j = 0; j < nLive; j++) {
        if (liveUsed[j] || liveParams[j].name === "Device On") {
          continue;
        }
        k = keyOf(liveParams[j].name);
        if (k === "") {
          continue;
        }
        if (!Object.prototype.hasOwnProperty.call(index, k)) {
          index[k] = [];
        }
        index[k].push(j);
      }
      for (i = 0; i < nModel; i++) {
        if (modelDone[i]) {
          continue;
        }
        k = keyOf(modelNames[i]);
        if (k === "" || !Object.prototype.hasOwnProperty.call(index, k)) {
          continue;
        }
        var candidates = index[k];
        for (var c = 0; c < candidates.length; c++) {
          if (!liveUsed[candidates[c]]) {
            pair(i, candidates[c], how);
            break;
          }
        }
      }
    }

    keyStage("exact", function (s) { return String(s); });
    keyStage("normalised", function (s) { return api.normaliseName(s); });
    keyStage("tokens", function (s) { return sortedKey(api.tokenize(s)); });
    keyStage("tokens-no-prefix", function (s) {
      return sortedKey(withoutSingleLetters(api.tokenize(s)));
    });

    // Stage 6: fuzzy, only when the best candidate is unique and good enough.
    for (i = 0; i < nModel; i++) {
      if (modelDone[i]) {
        continue;
      }
      var mt = withoutSingleLetters(api.tokenize(modelNames[i]));
      var best = -1;
      var bestScore = 0;
      var tie = false;
      for (j = 0; j < nLive; j++) {
        if (liveUsed[j] || liveParams[j].name === "Device On") {
          continue;
        }
        var score = jaccard(mt, withoutSingleLetters(api.tokenize(liveParams[j].name)));
        if (score > bestScore) {
          best = j;
          bestScore = score;
          tie = false;
        } else if (score === bestScore && score > 0) {
          tie = true;
        }
      }
      if (best >= 0 && !tie && bestScore >= api.FUZZY_THRESHOLD) {
        pair(i, best, "fuzzy");
      }
    }

    pairs.sort(function (a, b) { return a.modelIndex - b.modelIndex; });
    var unmatched = [];
    var paired = {};
    for (i = 0; i < pairs.length; i++) {
      paired[pairs[i].modelIndex] = true;
    }
    for (i = 0; i < nModel; i++) {
      if (!paired[i]) {
        unmatched.push(modelNames[i]);
      }
    }
    var unusedLive = [];
    for (j = 0; j < nLive; j++) {
      if (!liveUsed[j]) {
        unusedLive.push(liveParams[j].name);
      }
    }
    return { pairs: pairs, unmatched: unmatched, unusedLive: unusedLive };
  };

  // ------------------------------------------------------------------------------------------
  // Coalescing and throttling

  /**
   * Coalesce a stream of keyed values to the latest value per key, released at most once per
   * interval. Time is passed in (milliseconds) so the logic runs without a clock.
   *
   * Usage: push(key, value) on every input; ask delayMs(now) how long to wait before flush(now);
   * flush returns [{key, value}] in first-push order and starts a new interval.
   */
  function Throttle(intervalMs) {
    this.intervalMs = intervalMs;
    this.lastFlushMs = -Infinity;
    this.pending = {};
    this.order = [];
  }

  Throttle.prototype.push = function (key, value) {
    if (!Object.prototype.hasOwnProperty.call(this.pending, key)) {
      this.order.push(key);
    }
    this.pending[key] = value;
  };

  Throttle.prototype.hasPending = function () {
    return this.order.length > 0;
  };

  /** Milliseconds to wait before the next flush is allowed (0 = now). */
  Throttle.prototype.delayMs = function (nowMs) {
    var wait = this.lastFlushMs + this.intervalMs - nowMs;
    return wait > 0 ? wait : 0;
  };

  Throttle.prototype.flush = function (nowMs) {
    var out = [];
    for (var i = 0; i < this.order.length; i++) {
      out.push({ key: this.order[i], value: this.pending[this.order[i]] });
    }
    this.pending = {};
    this.order = [];
    this.lastFlushMs = nowMs;
    return out;
  };

  /** Forget pending values (the interval timing is kept). */
  Throttle.prototype.clear = function () {
    this.pending = {};
    this.order = [];
  };

  api.Throttle = Throttle;

  // ------------------------------------------------------------------------------------------
  // OSC (what [udpsend] writes and [udpreceive] reads), for tests and node harnesses

  function utf8Bytes(str) {
    var s = unescape(encodeURIComponent(str));
    var out = [];
    for (var i = 0; i < s.length; i++) {
      out.push(s.charCodeAt(i));
    }
    return out;
  }

  function utf8Decode(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) {
      s += String.fromCharCode(bytes[i]);
    }
    return decodeURIComponent(escape(s));
  }

  function pad4(n) {
    return (n + 3) & ~3;
  }

  function pushOscString(out, str) {
    var b = utf8Bytes(str);
    var i;
    for (i = 0; i < b.length; i++) {
      out.push(b[i]);
    }
    var total = pad4(b.length + 1);
    for (i = b.length; i < total; i++) {
      out.push(0);
    }
  }

  function int32Bytes(v) {
    return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  }

  function float32Bytes(v) {
    var dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, v, false);
    return [dv.getUint8(0), dv.getUint8(1), dv.getUint8(2), dv.getUint8(3)];
  }

  /**
   * The OSC type tag Max gives an atom: whole numbers within int32 are ints ('i'), other numbers
   * floats ('f'), strings symbols ('s').
   */
  api.maxAtomTag = function (atom) {
    if (typeof atom === "string") {
      return "s";
    }
    if (typeof atom === "number") {
      if (isIntegral(atom) && atom >= -2147483648 && atom <= 2147483647) {
        return "i";
      }
      return "f";
    }
    throw new Error("cannot send " + typeof atom + " as an OSC argument");
  };

  /**
   * Encode one OSC message.
   *
   * @param {string} address OSC address starting with "/".
   * @param {Array} args numbers and strings.
   * @param {string=} tags type tags without the comma; inferred with maxAtomTag when omitted.
   * @return {number[]} the datagram bytes.
   */
  api.oscEncode = function (address, args, tags) {
    if (typeof address !== "string" || address.charAt(0) !== "/") {
      throw new Error("OSC address must start with '/': " + address);
    }
    var t = tags;
    var i;
    if (t === undefined || t === null) {
      t = "";
      for (i = 0; i < args.length; i++) {
        t += api.maxAtomTag(args[i]);
      }
    }
    if (t.length !== args.length) {
      throw new Error(t.length + " type tags for " + args.length + " arguments");
    }
    var out = [];
    pushOscString(out, address);
    pushOscString(out, "," + t);
    for (i = 0; i < args.length; i++) {
      var tag = t.charAt(i);
      var b;
      if (tag === "i") {
        b = int32Bytes(Number(args[i]));
      } else if (tag === "f") {
        b = float32Bytes(Number(args[i]));
      } else if (tag === "s") {
        pushOscString(out, String(args[i]));
        continue;
      } else {
        throw new Error("unsupported OSC type tag " + tag);
      }
      out.push(b[0], b[1], b[2], b[3]);
    }
    return out;
  };

  function readOscString(bytes, pos) {
    var end = pos;
    while (end < bytes.length && bytes[end] !== 0) {
      end += 1;
    }
    if (end >= bytes.length) {
      throw new Error("unterminated OSC string at byte " + pos);
    }
    var str = utf8Decode(Array.prototype.slice.call(bytes, pos, end));
    return { value: str, next: pos + pad4(end - pos + 1) };
  }

  /**
   * Decode one OSC message (types i, f, s).
   * @param {number[]|Uint8Array} bytes datagram.
   * @return {{address:string, tags:string, args:Array}}
   */
  api.oscDecode = function (bytes) {
    var a = readOscString(bytes, 0);
    var t = readOscString(bytes, a.next);
    if (t.value.charAt(0) !== ",") {
      throw new Error("OSC type tag string must start with ','");
    }
    var tags = t.value.substring(1);
    var pos = t.next;
    var args = [];
    for (var i = 0; i < tags.length; i++) {
      var tag = tags.charAt(i);
      if (tag === "s") {
        var s = readOscString(bytes, pos);
        args.push(s.value);
        pos = s.next;
        continue;
      }
      if (tag !== "i" && tag !== "f") {
        throw new Error("unsupported OSC type tag " + tag);
      }
      if (pos + 4 > bytes.length) {
        throw new Error("OSC argument " + i + " runs past the end");
      }
      var dv = new DataView(new ArrayBuffer(4));
      for (var k = 0; k < 4; k++) {
        dv.setUint8(k, bytes[pos + k]);
      }
      if (tag === "i") {
        args.push(dv.getInt32(0, false));
      } else {
        args.push(dv.getFloat32(0, false));
      }
      pos += 4;
    }
    return { address: a.value, tags: tags, args: args };
  };

  /** Size in bytes of the datagram [udpsend] makes from an atom list (first atom = address). */
  api.oscSizeOfAtoms = function (atoms) {
    var size = pad4(utf8Bytes(String(atoms[0])).length + 1);
    size += pad4(atoms.length - 1 + 2); // ",tags" + NUL
    for (var i = 1; i < atoms.length; i++) {
      if (typeof atoms[i] === "string") {
        size += pad4(utf8Bytes(atoms[i]).length + 1);
      } else {
        size += 4;
      }
    }
    return size;
  };

  // ------------------------------------------------------------------------------------------
  // Chunked audio upload

  /**
   * Split nFloats samples into runs of at most maxFloats.
   * @return {{offset:number, count:number}[]}
   */
  api.planChunks = function (nFloats, maxFloats) {
    var per = maxFloats || api.MAX_CHUNK_FLOATS;
    var out = [];
    for (var off = 0; off < nFloats; off += per) {
      out.push({ offset: off, count: Math.min(per, nFloats - off) });
    }
    return out;
  };

  /**
   * The atom lists for one upload: begin, the chunks, end. Each list's first atom is the OSC
   * address, as [udpsend] expects. Max may send whole-number samples (0, 1) as int atoms; the
   * server accepts 'i' where it expects 'f' (docs/protocol.md).
   *
   * @param {number} id request id.
   * @param {number[]} samples interleaved float samples.
   * @param {number} sampleRate Hz.
   * @param {number} channels channel count of the interleaved buffer.
   * @param {number=} maxFloats chunk size (default MAX_CHUNK_FLOATS).
   * @return {{begin:Array, chunks:Array[], end:Array}}
   */
  api.uploadMessages = function (id, samples, sampleRate, channels, maxFloats) {
    var frames = Math.floor(samples.length / channels);
    var plan = api.planChunks(frames * channels, maxFloats);
    var chunks = [];
    for (var c = 0; c < plan.length; c++) {
      var atoms = [api.ADDR.matchChunk, id, plan[c].offset];
      for (var k = 0; k < plan[c].count; k++) {
        atoms.push(samples[plan[c].offset + k]);
      }
      chunks.push(atoms);
    }
    return {
      begin: [api.ADDR.matchBegin, id, Math.round(sampleRate), channels, frames],
      chunks: chunks,
      end: [api.ADDR.matchEnd, id]
    };
  };

  /**
   * Read nFrames of a buffer as one mono channel (the mean of its channels), in blocks.
   * @param {function(number, number, number): number[]} peek Buffer.peek(channel 1-based, start,
   *     count).
   */
  api.readMono = function (peek, channels, nFrames, blockFrames) {
    var block = blockFrames || 4096;
    var out = [];
    for (var start = 0; start < nFrames; start += block) {
      var count = Math.min(block, nFrames - start);
      var acc = [];
      var k;
      for (k = 0; k < count; k++) {
        acc.push(0);
      }
      for (var ch = 1; ch <= channels; ch++) {
        var got = peek(ch, start, count);
        if (typeof got === "number") {
          got = [got];
        }
        for (k = 0; k < count; k++) {
          acc[k] += Number(got[k] || 0);
        }
      }
      for (k = 0; k < count; k++) {
        out.push(acc[k] / channels);
      }
    }
    return out;
  };

  // ------------------------------------------------------------------------------------------
  // WAV (32-bit float) for local file transport

  function pushU32LE(out, v) {
    out.push(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255);
  }

  function pushU16LE(out, v) {
    out.push(v & 255, (v >>> 8) & 255);
  }

  function pushAscii(out, s) {
    for (var i = 0; i < s.length; i++) {
      out.push(s.charCodeAt(i));
    }
  }

  /**
   * Header of a WAVE_FORMAT_IEEE_FLOAT (32-bit) file: RIFF, fmt (18 bytes), fact and the data
   * chunk header. The samples follow as little-endian float32, interleaved.
   * @return {number[]} 58 bytes.
   */
  api.wavHeaderBytes = function (nFrames, channels, sampleRate) {
    var dataBytes = nFrames * channels * 4;
    var out = [];
    pushAscii(out, "RIFF");
    pushU32LE(out, 4 + (8 + 18) + (8 + 4) + (8 + dataBytes));
    pushAscii(out, "WAVE");
    pushAscii(out, "fmt ");
    pushU32LE(out, 18);
    pushU16LE(out, 3); // WAVE_FORMAT_IEEE_FLOAT
    pushU16LE(out, channels);
    pushU32LE(out, Math.round(sampleRate));
    pushU32LE(out, Math.round(sampleRate) * channels * 4);
    pushU16LE(out, channels * 4);
    pushU16LE(out, 32);
    pushU16LE(out, 0); // cbSize
    pushAscii(out, "fact");
    pushU32LE(out, 4);
    pushU32LE(out, nFrames);
    pushAscii(out, "data");
    pushU32LE(out, dataBytes);
    return out;
  };

  // ------------------------------------------------------------------------------------------
  // Hosts and paths

  /** True when the host names this machine (file transport works only then). */
  api.isLocalHost = function (host) {
    var h = String(host || "").toLowerCase();
    return h === "localhost" || h === "::1" || h === "" || /^127\./.test(h);
  };

  /**
   * Turn a Max path into one the (local) server can open.
   *
   * Max writes macOS paths as "Volume:/dir/file" (e.g. "Macintosh HD:/Users/me/a.wav"). Paths on
   * the startup volume become "/dir/file"; other volumes "/Volumes/Volume/dir/file". Windows paths
   * ("C:/dir/file") and POSIX paths pass through.
   *
   * @param {string} path Max-style or native path.
   * @param {string} os "macintosh" or "windows" (Max's max.os).
   * @param {string=} bootVolume name of the macOS startup volume, when known.
   */
  api.toNativePath = function (path, os, bootVolume) {
    var p = String(path);
    if (/^[A-Za-z]:[\/\\]/.test(p)) {
      return p.replace(/\\/g, "/");
    }
    var m = /^([^\/:]+):(\/.*)$/.exec(p);
    if (!m) {
      return p;
    }
    if (os === "windows") {
      return m[1] + ":" + m[2];
    }
    var rootDirs = /^\/(Users|Applications|Library|System|Volumes|private|tmp|var|opt|usr|etc|cores)(\/|$)/;
    if ((bootVolume && m[1] === bootVolume) || (!bootVolume && rootDirs.test(m[2]))) {
      return m[2];
    }
    return "/Volumes/" + m[1] + m[2];
  };

  /** Folder + file name with one "/" between them. */
  api.joinPath = function (folder, name) {
    var f = String(folder);
    if (f.length > 0 && f.charAt(f.length - 1) !== "/" && f.charAt(f.length - 1) !== "\\") {
      f += "/";
    }
    return f + name;
  };

  /** Default folder for capture files: /tmp on macOS, the public documents folder on Windows. */
  api.defaultTempDir = function (os) {
    return os === "windows" ? "C:/Users/Public/Documents" : "/tmp";
  };

  // ------------------------------------------------------------------------------------------
  // Live API values

  /**
   * A LiveAPI get() result as one string. Depending on the Max version a name comes back as one
   * atom or split into words, sometimes in double quotes.
   */
  api.atomsToString = function (value) {
    var s;
    if (value === undefined || value === null) {
      return "";
    }
    if (Object.prototype.toString.call(value) === "[object Array]") {
      s = value.join(" ");
    } else {
      s = String(value);
    }
    if (s.length >= 2 && s.charAt(0) === "\"" && s.charAt(s.length - 1) === "\"") {
      s = s.substring(1, s.length - 1);
    }
    return s;
  };

  /** A LiveAPI get() result as a number (first atom). */
  api.atomsToNumber = function (value) {
    if (Object.prototype.toString.call(value) === "[object Array]") {
      return Number(value[0]);
    }
    return Number(value);
  };

  /** A LiveAPI path ("\"live_set tracks 0\"" or live_set tracks 0) without quotes. */
  api.unquotePath = function (path) {
    return api.atomsToString(path);
  };

  // ------------------------------------------------------------------------------------------
  // Saved state and mapping files

  /**
   * Encode the device state as one Max symbol for the [pattr] blob parameter. Percent-encoding
   * keeps quotes, braces, commas and semicolons (which Max treats specially) out of the symbol.
   */
  api.encodeState = function (state) {
    return encodeURIComponent(JSON.stringify(state));
  };

  /** Decode encodeState's output; null when it is not valid. */
  api.decodeState = function (text) {
    try {
      var obj = JSON.parse(decodeURIComponent(String(text)));
      return (obj && typeof obj === "object") ? obj : null;
    } catch (e) {
      return null;
    }
  };

  api.MAPPING_FORMAT = "patchflow-live-mapping";

  /**
   * Parse a mapping file. Accepted: {"format": "patchflow-live-mapping", "version": 1,
   * "synth": ..., "model": ..., "mapping": {...}} or just the mapping object. Each mapping entry
   * is model name -> Live parameter name, or -> {"live": name, "range": [lo, hi]} where lo..hi
   * (in the Live parameter's units) is what the model's 0..1 spans. A Live name of "" (or null)
   * keeps that model parameter unmapped.
   *
   * @return {{mapping: Object<string,string>, synth: string, model: string}}
   * @throws Error naming what is wrong.
   */
  api.parseMappingText = function (text) {
    var obj;
    try {
      obj = JSON.parse(String(text));
    } catch (e) {
      throw new Error("mapping file is not valid JSON: " + e.message);
    }
    if (!obj || typeof obj !== "object" || Object.prototype.toString.call(obj) === "[object Array]") {
      throw new Error("mapping file must hold a JSON object");
    }
    var body = obj;
    var synth = "";
    var model = "";
    if (Object.prototype.hasOwnProperty.call(obj, "mapping")) {
      body = obj.mapping;
      synth = obj.synth ? String(obj.synth) : "";
      model = obj.model ? String(obj.model) : "";
      if (!body || typeof body !== "object") {
        throw new Error("\"mapping\" must be an object of model name -> Live parameter name");
      }
    }
    var mapping = {};
    for (var k in body) {
      if (!Object.prototype.hasOwnProperty.call(body, k)) {
        continue;
      }
      var v = body[k];
      if (v === null) {
        v = "";
      }
      if (v && typeof v === "object" && Object.prototype.toString.call(v) !== "[object Array]") {
        if (typeof v.live !== "string") {
          throw new Error("mapping for \"" + k + "\" needs \"live\": a Live parameter name");
        }
        var r = v.range;
        if (r !== undefined && r !== null && !(Object.prototype.toString.call(r) === "[object Array]"
          && r.length === 2 && isFiniteNumber(r[0]) && isFiniteNumber(r[1]))) {
          throw new Error("\"range\" for \"" + k + "\" must be [lo, hi] numbers");
        }
        mapping[k] = (r === undefined || r === null) ? v.live : { live: v.live, range: [r[0], r[1]] };
        continue;
      }
      if (typeof v !== "string") {
        throw new Error("mapping for \"" + k + "\" must be a Live parameter name, \"\" or {\"live\": name, \"range\": [lo, hi]}");
      }
      mapping[k] = v;
    }
    return { mapping: mapping, synth: synth, model: model };
  };

  /** Write a mapping file (pretty JSON, keys in the given order of the mapping object). */
  api.formatMappingText = function (mapping, synth, model) {
    return JSON.stringify({
      format: api.MAPPING_FORMAT,
      version: 1,
      synth: synth || "",
      model: model || "",
      mapping: mapping
    }, null, 2) + "\n";
  };

  /**
   * The mapping implied by a match result: every model name -> the Live name it got (or "").
   * Saving this makes an automatic match explicit and editable.
   */
  api.mappingFromPairs = function (modelNames, pairs) {
    var m = {};
    var i;
    for (i = 0; i < modelNames.length; i++) {
      m[modelNames[i]] = "";
    }
    for (i = 0; i < pairs.length; i++) {
      var p = pairs[i];
      m[p.modelName] = p.range ? { live: p.live.name, range: p.range.slice() } : p.live.name;
    }
    return m;
  };

  return api;
}());

if (typeof module !== "undefined" && module.exports) {
  module.exports = PF;
}
