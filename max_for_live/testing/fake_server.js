/*
 * A tiny stand-in for `patchflow serve`, speaking the OSC protocol of docs/protocol.md over real
 * UDP. It answers ping, info and names, reassembles chunked uploads, reads WAV files for
 * /patchflow/match/file, and replies with deterministic parameter values derived from the audio
 * (so a test can tell that the right sound arrived), plus macro and morph replies.
 *
 * Protocol additions (opts.hello, opts.stream): /patchflow/hello registers, per sender address,
 * the port its replies go to (answered there with hello <port> <version> <search_budget_s>, the
 * budget opts.budgetS, default 1 with opts.stream else 0, null: an older server that does not say
 * it, in hello or info); clients are keyed by
 * sender address, so each device instance has its own last match, macros and morph. A streaming
 * match answers like the search: the first params, the note, then opts.stream improvements
 * (params + score), the candidates, and the final score.
 */
"use strict";

const dgram = require("node:dgram");
const fs = require("node:fs");
const PF = require("../src/patchflow_core.js");
const { readWav } = require("./max_env.js");

/** Frequency of a tone by counting rising zero crossings. */
function estimateFrequency(samples, sampleRate) {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i - 1] < 0 && samples[i] >= 0) {
      crossings += 1;
    }
  }
  return (crossings * sampleRate) / samples.length;
}

function rms(samples) {
  let acc = 0;
  for (const v of samples) {
    acc += v * v;
  }
  return samples.length ? Math.sqrt(acc / samples.length) : 0;
}

class FakePatchflowServer {
  /**
   * @param {object} opts
   * @param {string[]} opts.names parameter names in spec order.
   * @param {number} opts.nMacros macro count.
   * @param {number=} opts.dropChunkOnce offset of a chunk to ignore the first time it arrives.
   */
  constructor(opts) {
    this.names = opts.names;
    this.nMacros = opts.nMacros === undefined ? 8 : opts.nMacros;
    this.model = opts.model || "fake-model";
    this.synth = opts.synth || "Fake Synth";
    this.dropChunkOnce = opts.dropChunkOnce;
    this.hello = opts.hello === true || opts.stream !== undefined;
    this.stream = opts.stream; // number of improvements after the first answer (undefined: none)
    // the search budget told in hello and info (like --budget-s); null: an older server that
    // does not say it (hello <port> <version>, info without the last field)
    this.budgetS = opts.budgetS !== undefined ? opts.budgetS : (this.stream !== undefined ? 1 : 0);
    this.candidateCount = opts.candidates === undefined ? 4 : opts.candidates;
    this.note = opts.note; // [midi, confidence, octaves_shifted]
    this.clients = new Map(); // "host:port" of the sender -> {replyPort, last, previous, macros, lastMatchId}
    this.replyTo = null; // the reply address of the datagram being handled
    this.uploads = new Map();
    this.requests = [];
    this.analyses = [];
    this.last = null;
    this.previous = null;
    this.macros = new Array(this.nMacros).fill(0.5);
    this.lastMatchId = -1;
    this.replyHost = "127.0.0.1";
    this.replyPort = null;
  }

  async start(replyPort) {
    this.replyPort = replyPort;
    this.socket = dgram.createSocket("udp4");
    this.socket.on("message", (msg, rinfo) => this.handle(msg, rinfo));
    await new Promise((resolve) => this.socket.bind(0, "127.0.0.1", resolve));
    this.port = this.socket.address().port;
    return this;
  }

  close() {
    if (this.socket) {
      this.socket.close();
      this.socket = null;
    }
  }

  reply(address, args, tags) {
    const bytes = Buffer.from(PF.oscEncode(address, args, tags));
    if (bytes.length > PF.MAX_DATAGRAM_BYTES) {
      throw new Error(`reply ${address} is ${bytes.length} bytes`);
    }
    if (!this.socket) {
      return;
    }
    const to = this.replyTo || { host: this.replyHost, port: this.replyPort };
    if (!to.port) {
      return; // a client that has not said hello, and no fixed reply port
    }
    this.socket.send(bytes, to.port, to.host);
  }

  /** The state of the client that sent the datagram (one shared client without hello). */
  client(rinfo) {
    const key = this.hello && rinfo ? `${rinfo.address}:${rinfo.port}` : "*";
    if (!this.clients.has(key)) {
      this.clients.set(key, { key, replyPort: null, last: null, previous: null,
        macros: new Array(this.nMacros).fill(0.5), lastMatchId: -1, uploads: new Map() });
    }
    return this.clients.get(key);
  }

  handle(data, rinfo) {
    const c = this.client(rinfo);
    this.replyTo = c.replyPort ? { host: rinfo.address, port: c.replyPort } : null;
    try {
      this.handleFor(c, data);
    } finally {
      this.replyTo = null;
    }
  }

  handleFor(c, data) {
    let msg;
    try {
      msg = PF.oscDecode(data);
    } catch (e) {
      this.reply(PF.ADDR.error, [-1, `malformed: ${e.message}`]);
      return;
    }
    this.requests.push({ address: msg.address, tags: msg.tags, args: msg.args, bytes: data.length, client: c.key });
    const a = msg.args;
    // per-client state: the fields the single-client code below uses
    this.last = c.last;
    this.previous = c.previous;
    this.macros = c.macros;
    this.lastMatchId = c.lastMatchId;
    this.uploads = c.uploads;
    this.current = c;
    if (msg.address === PF.ADDR_STREAM.hello && this.hello) {
      c.replyPort = a[0];
      this.replyTo = { host: this.replyTo ? this.replyTo.host : "127.0.0.1", port: a[0] };
      if (this.budgetS === null) {
        this.reply(PF.ADDR_STREAM.hello, [a[0], 2], "ii");
      } else {
        this.reply(PF.ADDR_STREAM.hello, [a[0], 2, this.budgetS], "iif");
      }
      return;
    }
    switch (msg.address) {
      case PF.ADDR.ping:
        this.reply(PF.ADDR.pong, [a.length ? a[0] : 0, this.model, PF.PROTOCOL_VERSION], "isi");
        break;
      case PF.ADDR.info:
        if (this.budgetS === null) {
          this.reply(PF.ADDR.info, [this.model, this.synth, this.names.length, 44100, 4.0, this.nMacros], "ssiifi");
        } else {
          this.reply(PF.ADDR.info, [this.model, this.synth, this.names.length, 44100, 4.0, this.nMacros,
            this.budgetS], "ssiifif");
        }
        break;
      case PF.ADDR.names:
        this.reply(PF.ADDR.names, this.names, "s".repeat(this.names.length));
        break;
      case PF.ADDR.matchBegin: {
        const [id, sampleRate, channels, frames] = a;
        if (msg.tags !== "iiii" || !(sampleRate > 0 && channels > 0 && frames > 0)) {
          this.reply(PF.ADDR.error, [id, "invalid: begin needs id:i sample_rate:i channels:i frames:i"]);
          return;
        }
        this.uploads.set(id, {
          sampleRate,
          channels,
          data: new Float32Array(frames * channels),
          have: new Uint8Array(frames * channels),
        });
        break;
      }
      case PF.ADDR.matchChunk: {
        const [id, offset] = a;
        const up = this.uploads.get(id);
        if (!up || !/^ii[fi]*$/.test(msg.tags) || a.length - 2 > PF.MAX_CHUNK_FLOATS) {
          this.reply(PF.ADDR.error, [id, "invalid: bad chunk"]);
          return;
        }
        if (this.dropChunkOnce === offset) {
          this.dropChunkOnce = undefined;
          return;
        }
        for (let k = 2; k < a.length; k++) {
          up.data[offset + k - 2] = a[k];
          up.have[offset + k - 2] = 1;
        }
        break;
      }
      case PF.ADDR.matchEnd: {
        const id = a[0];
        const up = this.uploads.get(id);
        if (!up) {
          this.reply(PF.ADDR.error, [id, "invalid: no upload with this id"]);
          return;
        }
        const missing = up.have.length - up.have.reduce((s, v) => s + v, 0);
        if (missing > 0) {
          this.reply(PF.ADDR.error, [id, `incomplete: ${missing} samples missing`]);
          return;
        }
        this.uploads.delete(id);
        const mono = new Float32Array(up.data.length / up.channels);
        for (let i = 0; i < mono.length; i++) {
          for (let c = 0; c < up.channels; c++) {
            mono[i] += up.data[i * up.channels + c] / up.channels;
          }
        }
        this.matched(id, mono, up.sampleRate, "chunks");
        break;
      }
      case PF.ADDR.matchFile: {
        const [id, filePath] = a;
        let wav;
        try {
          wav = readWav(fs.readFileSync(filePath));
        } catch (e) {
          this.reply(PF.ADDR.error, [id, `invalid: cannot read ${filePath}: ${e.message}`]);
          return;
        }
        this.matched(id, wav.channels[0], wav.sampleRate, "file", { path: filePath, wav });
        break;
      }
      case PF.ADDR.macro: {
        const [index, value] = a;
        if (this.last === null) {
          this.reply(PF.ADDR.error, [-1, "invalid: macro before any match"]);
          return;
        }
        if (!(index >= 0 && index < this.nMacros)) {
          this.reply(PF.ADDR.error, [-1, `invalid: macro index ${index}`]);
          return;
        }
        this.macros[index] = value;
        this.sendParams(this.lastMatchId, this.withMacros(this.last), null);
        break;
      }
      case PF.ADDR.morph: {
        const [t] = a;
        if (this.last === null) {
          this.reply(PF.ADDR.error, [-1, "invalid: morph before any match"]);
          return;
        }
        const prev = this.previous || this.last;
        this.sendParams(this.lastMatchId, this.last.map((v, i) => prev[i] * (1 - t) + v * t), null);
        break;
      }
      default:
        this.reply(PF.ADDR.error, [-1, `invalid: unknown address ${msg.address}`]);
    }
  }

  withMacros(values) {
    return values.map((v, i) => Math.min(1, Math.max(0, v + (this.macros[i % this.nMacros] - 0.5) * 0.4)));
  }

  /** Deterministic values from the sound: 0 and 1 at the ends, the rest from its frequency. */
  valuesFor(freqHz) {
    return this.names.map((_, i) => {
      if (i === 0) {
        return 0;
      }
      if (i === 1) {
        return 1;
      }
      const x = (0.137 * i + freqHz / 1000) % 1;
      return Math.round(x * 1e4) / 1e4;
    });
  }

  matched(id, mono, sampleRate, via, extra) {
    const freq = estimateFrequency(mono, sampleRate);
    const c = this.current;
    this.analyses.push(Object.assign({ id, via, frames: mono.length, sampleRate, freq, rms: rms(mono), client: c.key }, extra || {}));
    c.previous = c.last;
    c.last = this.valuesFor(freq);
    c.macros.fill(0.5);
    c.lastMatchId = id;
    this.sendParams(id, c.last, 1.5);
    if (this.stream === undefined) {
      return; // no search: one answer per match (like patchflow serve without a search budget)
    }
    const note = this.note || [69.0, 0.9, 0];
    this.reply(PF.ADDR_STREAM.note, [id, note[0], note[1], note[2]], "iffi");
    // improvements: each moves the patch a step towards 0.5 (scores fall), streamed in order
    let values = c.last;
    for (let k = 1; k <= this.stream; k++) {
      values = values.map((v) => Math.round((v + (0.5 - v) * 0.25) * 1e4) / 1e4);
      c.last = values;
      this.sendParams(id, values, null);
      this.reply(PF.ADDR_STREAM.score, [id, 1 / (k + 1), 0], "ifi");
    }
    for (let r = 0; r < this.candidateCount; r++) {
      const cand = values.map((v, i) => Math.round(((v + 0.1 * r * (i % 2 ? 1 : -1)) % 1 + 1) % 1 * 1e4) / 1e4);
      this.reply(PF.ADDR_STREAM.candidate, [id, r, 1 / (this.stream + 1) + 0.05 * r].concat(cand),
        "iif" + "f".repeat(cand.length));
    }
    this.reply(PF.ADDR_STREAM.score, [id, 1 / (this.stream + 1), 1], "ifi");
  }

  sendParams(id, values, latencyMs) {
    this.reply(PF.ADDR.params, [id].concat(values), "i" + "f".repeat(values.length));
    this.reply(PF.ADDR.nativeValues, [id].concat(values.map((v) => v * 100)), "i" + "f".repeat(values.length));
    if (latencyMs !== null) {
      this.reply(PF.ADDR.latency, [id, latencyMs], "if");
    }
  }
}

module.exports = { FakePatchflowServer, estimateFrequency };
