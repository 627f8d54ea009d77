/*
 * patchflow_device.js - the Max [js] side of the patchflow Max for Live device.
 *
 * The patcher (built by ../build.js) sends this script messages from its UI, from
 * [live.thisdevice], [dspstate~], [udpreceive] and [pattr], and this script drives [udpsend],
 * [udpreceive], [record~], the status comments, a pool of [live.remote~] objects, the [pattr]
 * that stores the device state in the Live Set, and the menus.
 *
 * The shipped file (dist/patchflow_device.js) is patchflow_core.js followed by this file, so the
 * pure logic is available as the global PF. Opened from src/ instead, it includes the core itself.
 *
 * Classic [js] is ES5 and runs in Max's low-priority (main) thread; the Live API must not be
 * used in global code, so everything that touches Live waits for "init" from [live.thisdevice].
 *
 * Inlet messages (see build.js for where they come from):
 *   init, samplerate <sr>, matchbutton [v], match, capturelength <s>, dropfile <path>,
 *   filesr <sr>, fileloaded, macro <1..8> <v>, morph <v>, host <name>, sendport <p>,
 *   replyport <p>, transport <0|1|2>, tempdir <path>, chunkfloats <n>, rescan, picktrack <i>,
 *   pickdevice <i>,
 *   pickarm [v], modelparam <i>, liveparam <i>, automap [v], loadmapbutton [v],
 *   savemapbutton [v], readmap <path>, writemap <path>, commit, restore <state>,
 *   candidate <0..3>, serverstart, serverstop, serverrestart, servercommand <path>,
 *   servermodel <name>, serverplugin <path>, serverauto <0|1>, serverbudget <s>, serverproc <kind> ...,
 *   nodestate ..., and the server's OSC replies (/patchflow/...).
 *
 * Instances: each instance listens on its own reply port (Reply 0 = automatic, derived from the
 * device's Live id), registers it with /patchflow/hello, and draws request ids from its own range.
 */

if (typeof PF === "undefined") {
  include("patchflow_core.js");
}

autowatch = 0;
inlets = 1;
outlets = 9;

var OUT_OSC = 0;          // -> [udpsend]: OSC messages, host, port
var OUT_RECV = 1;         // -> [udpreceive]: port
var OUT_REC = 2;          // -> [record~]: 1 start, 0 stop
var OUT_STATUS = 3;       // -> [route server model latency error capture mapping target]
var OUT_REMOTE_VALUE = 4; // -> [route 0..63] -> [live.remote~] left inlets: <slot> <value>
var OUT_REMOTE_ID = 5;    // -> [route 0..63] -> [live.remote~] right inlets: <slot> id <n>
var OUT_STATE = 6;        // -> [pattr] (stored with the Live Set)
var OUT_UI = 7;           // -> [route track device model live host opendialog savedialog ...]
var OUT_NODE = 8;         // -> [node.script patchflow_server.js]: start <cmd> <args...>, stop

var REMOTE_SLOTS = 64;
var STREAM_INTERVAL_MS = 33;      // 30 Hz for macro/morph requests and for live.remote~ updates
var PING_INTERVAL_MS = 2000;
var SERVER_TIMEOUT_MS = 5000;
var MATCH_TIMEOUT_MS = 20000;
var COMMIT_DELAY_MS = 1500;       // after the last streamed reply: release live.remote~, store
var CHUNKS_PER_TICK = 8;          // datagrams per upload tick (paces bursts for remote servers)
var CHUNK_TICK_MS = 2;
var RECORD_MARGIN_MS = 30;
var PICK_TIMEOUT_MS = 20000;
var TEMP_FILES = 8;               // capture files rotate so a slow server never reads a rewrite
var TRANSPORTS = ["auto", "file", "chunks"];
var REFINE_TIMEOUT_MS = 30000;   // a stream without its final score is committed after this
var STREAM_WAIT_MS = 1500;       // no score or improvement by then: the first answer is final
var CANDIDATE_SLOTS = 4;
var LIGHT_COLORS = {
  offline: [0.55, 0.55, 0.55, 1.0],
  loading: [0.95, 0.7, 0.2, 1.0],
  ready: [0.35, 0.8, 0.4, 1.0],
  searching: [0.35, 0.6, 0.95, 1.0]
};

setinletassist(0, "messages from the patchflow patcher and OSC replies from [udpreceive]");
setoutletassist(OUT_OSC, "to [udpsend]");
setoutletassist(OUT_RECV, "to [udpreceive]");
setoutletassist(OUT_REC, "to [record~]");
setoutletassist(OUT_STATUS, "status lines");
setoutletassist(OUT_REMOTE_VALUE, "live.remote~ values (slot value)");
setoutletassist(OUT_REMOTE_ID, "live.remote~ ids (slot id n)");
setoutletassist(OUT_STATE, "device state to [pattr]");
setoutletassist(OUT_UI, "menus and dialogs");
setoutletassist(OUT_NODE, "to [node.script patchflow_server.js]");

var S = newState();

function newState() {
  return {
    ready: false,
    os: "macintosh",
    capBufferName: jsarguments.length > 1 ? String(jsarguments[1]) : "pf_cap",
    fileBufferName: jsarguments.length > 2 ? String(jsarguments[2]) : "pf_file",
    thisDeviceId: "0",
    // network
    host: "127.0.0.1",
    sendPort: PF.DEFAULT_SEND_PORT,
    replyPort: 0,               // 0: automatic (per instance)
    boundReplyPort: 0,
    transport: 0,
    tempDir: "",
    tempDirCustom: "",
    idBase: 0,
    lastId: 0,
    helloAcked: false,
    serverVersion: 0,
    serverSearchS: null,        // the server's --budget-s from hello/info; null: not said (older server)
    serverAlive: false,
    lastPongMs: 0,
    pingsSent: 0,
    // model
    model: "",
    synth: "",
    names: null,
    nMacros: 0,
    maxSeconds: PF.MAX_LENGTH_S,
    // capture
    lengthS: 2.0,
    sampleRate: 44100,
    recording: false,
    recordFrames: 0,
    fileLoading: false,
    fileSampleRate: 0,
    upload: null,
    chunkFloats: PF.MAX_CHUNK_FLOATS,
    // matching
    awaitingMatch: -1,
    matchSentMs: 0,
    lastRoundTripMs: -1,
    matchId: -1,
    refine: null,               // {id, score, final, since} while a match's search streams
    lastScore: null,
    candidates: [],
    light: "",
    lastValues: null,
    pendingValues: null,
    applyQueue: null,
    // target and mapping
    tracks: [],
    devices: [],
    uiTrack: -1,
    target: null,
    targetId: "0",
    targetProblem: "",
    liveParams: [],
    mapping: {},
    match: null,
    editModel: -1,
    pickArmed: false,
    pickBaseline: {},
    pickObservers: null,
    pickedId: "0",
    // streams
    macroValues: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    sendThrottle: new PF.Throttle(STREAM_INTERVAL_MS),
    sendFlushPending: false,
    recvThrottle: new PF.Throttle(STREAM_INTERVAL_MS),
    recvFlushPending: false,
    streamValues: null,
    remotesBound: false,
    remoteSlots: [],
    remoteLast: [],
    // the server process (node.script)
    proc: { state: "stopped", log: "", pid: 0 },
    nodeRunning: false,
    serverCommand: "",
    serverModel: "",
    serverPlugin: "",
    serverAuto: 0,
    serverBudgetS: 2.0,          // --budget-s: seconds each match keeps improving (0: no search)
    serverWanted: false,
    // persistence
    restored: null,
    lastStateText: ""
  };
}

// --------------------------------------------------------------------------------------------
// Small helpers

function nowMs() {
  return new Date().getTime();
}

function argsArray(args) {
  return Array.prototype.slice.call(args);
}

function argsText(args) {
  return argsArray(args).join(" ");
}

/** True for a button message: no argument, "bang", or a non-zero value. */
function isPress(args) {
  if (args.length === 0) {
    return true;
  }
  var v = args[0];
  return v === "bang" || (typeof v === "number" ? v !== 0 : String(v) !== "0");
}

function later(task, ms) {
  task.cancel();
  task.schedule(ms > 0 ? ms : 0);
}

function status(kind, text) {
  outlet(OUT_STATUS, kind, String(text));
}

function ui() {
  outlet(OUT_UI, argsArray(arguments));
}

function sendOsc(atoms) {
  outlet(OUT_OSC, atoms);
}

function nextId() {
  if (!S.idBase) {
    S.idBase = PF.idBase(S.thisDeviceId);
    S.lastId = S.idBase;
  }
  S.lastId = PF.nextRequestId(S.lastId, S.idBase);
  return S.lastId;
}

/** True when request id a was issued after b by this instance. */
function isNewer(a, b) {
  return a > b;
}

function idOf(liveApi) {
  return String(liveApi.id);
}

function validApi(liveApi) {
  return liveApi && String(liveApi.id) !== "0";
}

function getString(liveApi, prop) {
  return PF.atomsToString(liveApi.get(prop));
}

function getNumber(liveApi, prop) {
  return PF.atomsToNumber(liveApi.get(prop));
}

function showError(text) {
  status("error", text);
  post("patchflow: " + text + "\n");
}

var pingTask = new Task(pingTick, this);
var recordTask = new Task(recordDone, this);
var uploadTask = new Task(uploadTick, this);
var matchTimeoutTask = new Task(matchTimedOut, this);
var applyTask = new Task(applyQueued, this);
var sendFlushTask = new Task(sendFlush, this);
var recvFlushTask = new Task(recvFlush, this);
var commitTask = new Task(commit, this);
var pickApplyTask = new Task(pickApply, this);
var pickTimeoutTask = new Task(pickTimedOut, this);
var refineTimeoutTask = new Task(refineTimedOut, this);

// --------------------------------------------------------------------------------------------
// Start-up, settings and state

function init() {
  if (S.ready) {
    refreshTracks();
    return;
  }
  S.ready = true;
  S.os = (typeof max !== "undefined" && max.os) ? String(max.os) : "macintosh";
  S.tempDir = S.tempDirCustom || PF.defaultTempDir(S.os);
  try {
    S.thisDeviceId = idOf(new LiveAPI("this_device"));
  } catch (e) {
    S.thisDeviceId = "0";
  }
  S.idBase = PF.idBase(S.thisDeviceId);
  S.lastId = S.idBase;
  if (S.restored) {
    applyState(S.restored);
    S.restored = null;
  }
  configureNetwork();
  refreshTracks();
  if (S.target) {
    reconnectTarget();
  } else {
    status("target", "no target: pick a track and device, or press Pick");
  }
  status("capture", "ready: press Match or drop an audio file");
  status("score", "-");
  status("note", "-");
  showCandidates();
  updateLight();
  later(pingTask, 0);
  if (S.serverAuto) {
    serverstart();
  }
}

function notifydeleted() {
  var tasks = [pingTask, recordTask, uploadTask, matchTimeoutTask, applyTask, sendFlushTask,
    recvFlushTask, commitTask, pickApplyTask, pickTimeoutTask, refineTimeoutTask];
  for (var i = 0; i < tasks.length; i++) {
    tasks[i].cancel();
  }
  disarmPick();
  releaseRemotes();
  if (S.proc.state !== "stopped") {
    outlet(OUT_NODE, "stop");
  }
}

/** The port this instance listens on: the Reply setting, or the automatic per-instance port. */
function effectiveReplyPort() {
  return S.replyPort > 0 ? S.replyPort : PF.autoReplyPort(S.thisDeviceId);
}

function configureNetwork() {
  outlet(OUT_OSC, "host", S.host);
  outlet(OUT_OSC, "port", S.sendPort);
  S.boundReplyPort = effectiveReplyPort();
  outlet(OUT_RECV, "port", S.boundReplyPort);
  S.serverAlive = false;
  S.helloAcked = false;
  S.serverVersion = 0;
  S.serverSearchS = null;
  S.lastPongMs = 0;
  S.pingsSent = 0;
  sendHello();
  status("server", "connecting to " + S.host + ":" + S.sendPort + " (listening on " + S.boundReplyPort + ")");
  updateLight();
}

/** Register this instance's reply port with the server (repeated until it answers). */
function sendHello() {
  sendOsc([PF.ADDR_STREAM.hello, S.boundReplyPort]);
}

function host() {
  var h = argsText(arguments).replace(/^\s+|\s+$/g, "");
  if (!h || h === S.host) {
    return;
  }
  S.host = h;
  if (S.ready) {
    configureNetwork();
    saveState();
  }
}

function sendport(p) {
  var port = Math.round(Number(p));
  if (!(port > 0 && port < 65536) || port === S.sendPort) {
    return;
  }
  S.sendPort = port;
  if (S.ready) {
    configureNetwork();
  }
}

function replyport(p) {
  var port = Math.round(Number(p));
  if (!(port >= 0 && port < 65536) || port === S.replyPort) {
    return;
  }
  S.replyPort = port;
  if (S.ready) {
    configureNetwork();
  }
}

function transport(i) {
  S.transport = PF.clamp(Math.round(Number(i)) || 0, 0, TRANSPORTS.length - 1);
}

function capturelength(seconds) {
  var s = Number(seconds);
  if (!(s > 0)) {
    return;
  }
  S.lengthS = PF.clamp(s, PF.MIN_LENGTH_S, Math.min(PF.MAX_LENGTH_S, S.maxSeconds));
}

function samplerate(sr) {
  var v = Number(sr);
  if (v > 0) {
    S.sampleRate = v;
  }
}

function tempdir() {
  var d = argsText(arguments);
  if (!d) {
    return;
  }
  S.tempDirCustom = d;
  S.tempDir = d;
  saveState();
}

/** Floats per upload chunk (default and maximum 1600; lower it if a network drops big datagrams). */
function chunkfloats(n) {
  var k = Math.round(Number(n));
  if (k > 0) {
    S.chunkFloats = PF.clamp(k, 16, PF.MAX_CHUNK_FLOATS);
  }
}

function stateObject() {
  return {
    v: 1,
    host: S.host,
    tempDir: S.tempDirCustom,
    target: S.target ? {
      path: S.target.path,
      trackName: S.target.trackName,
      deviceName: S.target.deviceName
    } : null,
    mapping: S.mapping,
    server: { command: S.serverCommand, model: S.serverModel, plugin: S.serverPlugin, auto: S.serverAuto }
  };
}

/**
 * Store the state in the [pattr] (a Live parameter saved with the Set). Called only from the
 * handlers of user edits (host, mapping, target choice, server settings), never from start-up,
 * restore, rescan, matches or macros, because every write can become an entry in Live's undo
 * history.
 */
function saveState() {
  if (!S.ready) {
    return;
  }
  var text = PF.encodeState(stateObject());
  if (text === S.lastStateText) {
    return;
  }
  S.lastStateText = text;
  outlet(OUT_STATE, text);
}

function restore() {
  var text = argsText(arguments);
  if (!text || text === S.lastStateText) {
    return;
  }
  var st = PF.decodeState(text);
  if (!st) {
    return;
  }
  S.lastStateText = text;
  if (S.ready) {
    applyState(st);
    configureNetwork();
    if (S.target) {
      reconnectTarget();
    }
  } else {
    S.restored = st;
  }
}

function applyState(st) {
  if (st.host) {
    S.host = String(st.host);
    ui("host", "set", S.host);
  }
  if (st.tempDir) {
    S.tempDirCustom = String(st.tempDir);
    S.tempDir = S.tempDirCustom;
  }
  S.mapping = (st.mapping && typeof st.mapping === "object") ? st.mapping : {};
  S.target = st.target && st.target.path ? {
    path: String(st.target.path),
    trackName: String(st.target.trackName || ""),
    deviceName: String(st.target.deviceName || "")
  } : null;
  S.targetId = "0"; // ids are not kept across sessions: found again by name and track
  if (st.server && typeof st.server === "object") {
    S.serverCommand = String(st.server.command || "");
    S.serverModel = String(st.server.model || "");
    S.serverPlugin = String(st.server.plugin || "");
    S.serverAuto = st.server.auto ? 1 : 0;
    ui("servercommand", "set", S.serverCommand);
    ui("servermodel", "set", S.serverModel);
    ui("serverplugin", "set", S.serverPlugin);
    ui("serverauto", "set", S.serverAuto);
  }
}

// --------------------------------------------------------------------------------------------
// Server status

function pingTick() {
  var now = nowMs();
  if (!S.helloAcked) {
    sendHello();
  }
  sendOsc([PF.ADDR.ping, nextId()]);
  S.pingsSent += 1;
  if (S.serverAlive && now - S.lastPongMs > SERVER_TIMEOUT_MS) {
    S.serverAlive = false;
    S.helloAcked = false;
    S.serverSearchS = null;
    status("server", "no reply from " + S.host + ":" + S.sendPort + " (is patchflow serve running?)");
  } else if (!S.serverAlive && S.pingsSent === 3) {
    status("server", "waiting for " + S.host + ":" + S.sendPort + " (listening on " + S.boundReplyPort + ")");
  }
  updateLight();
  later(pingTask, PING_INTERVAL_MS);
}

/** The light: offline (no server), loading (starting or no model yet), ready, searching. */
function lightState() {
  if (!S.serverAlive) {
    return (S.proc.state === "starting" || S.proc.state === "running") ? "loading" : "offline";
  }
  if (!S.names) {
    return "loading";
  }
  if (S.awaitingMatch >= 0 || S.refine || S.recording) {
    return "searching";
  }
  return "ready";
}

function updateLight() {
  var state = lightState();
  if (state === S.light) {
    return;
  }
  S.light = state;
  status("light", state);
  var c = LIGHT_COLORS[state];
  ui("light", "textcolor", c[0], c[1], c[2], c[3]);
  ui("matchactive", "active", state === "offline" ? 0 : 1);
}

function onHello(args) {
  if (args.length < 1 || Math.round(Number(args[0])) !== S.boundReplyPort) {
    return;
  }
  var wasAcked = S.helloAcked;
  S.helloAcked = true;
  S.serverVersion = args.length > 1 ? Math.round(Number(args[1])) : 0;
  setServerSearch(PF.searchBudgetArg(args, 2));
  if (!wasAcked) {
    post("patchflow: server registered reply port " + S.boundReplyPort + " (protocol "
      + S.serverVersion + ", search budget " + describeServerSearch() + ")\n");
  }
}

/** Keep what the server said about its search budget (a server that says nothing: unknown). */
function setServerSearch(budgetS) {
  if (budgetS !== null) {
    S.serverSearchS = budgetS;
  }
}

function describeServerSearch() {
  if (S.serverSearchS === null) {
    return "not said";
  }
  return S.serverSearchS > 0 ? S.serverSearchS + " s" : "0 (one answer per match)";
}

/** A server that registers reply ports answers hello; an older one replies only to its fixed
 * --reply-port and never streams. Whether this one streams: S.serverSearchS (its budget). */
function serverStreams() {
  return S.helloAcked;
}

function onPong(args) {
  var model = args.length > 1 ? String(args[1]) : "";
  var version = args.length > 2 ? Number(args[2]) : PF.PROTOCOL_VERSION;
  var wasAlive = S.serverAlive;
  S.lastPongMs = nowMs();
  S.serverAlive = true;
  if (!wasAlive || model !== S.model || !S.names) {
    S.model = model;
    status("model", model);
    sendOsc([PF.ADDR.info]);
    sendOsc([PF.ADDR.names]);
  }
  if (version !== PF.PROTOCOL_VERSION) {
    status("server", "protocol v" + version + " at " + S.host + " (device speaks v" + PF.PROTOCOL_VERSION + ")");
  } else if (!wasAlive) {
    status("server", "connected to " + S.host + ":" + S.sendPort + " (listening on " + S.boundReplyPort + ")");
  }
  updateLight();
}

function onInfo(args) {
  if (args.length < 5) {
    return;
  }
  S.model = String(args[0]);
  S.synth = String(args[1]);
  S.maxSeconds = Number(args[4]) > 0 ? Number(args[4]) : PF.MAX_LENGTH_S;
  S.nMacros = args.length >= 6 ? Math.round(Number(args[5])) : 0;
  setServerSearch(PF.searchBudgetArg(args, 6));
  S.lengthS = Math.min(S.lengthS, S.maxSeconds);
  status("model", S.model + " (" + S.synth + ", " + args[2] + " params, " + S.nMacros + " macros)");
}

function onNames(args) {
  var names = [];
  for (var i = 0; i < args.length; i++) {
    names.push(String(args[i]));
  }
  S.names = names;
  recomputeMapping();
  updateLight();
  if (S.pendingValues && S.match) {
    queueApply(S.pendingValues);
    S.pendingValues = null;
  }
}

function onLatency(args) {
  if (args.length < 2) {
    return;
  }
  var serverMs = Number(args[1]);
  var text = "server " + serverMs.toFixed(1) + " ms";
  if (S.lastRoundTripMs >= 0 && Number(args[0]) === S.matchId) {
    text += ", total " + Math.round(S.lastRoundTripMs) + " ms";
  }
  status("latency", text);
}

function onError(args) {
  var id = args.length > 0 ? Number(args[0]) : -1;
  var text = args.length > 1 ? argsArray(args).slice(1).join(" ") : "unknown error";
  if (id < 0 && text.indexOf(PF.ADDR_STREAM.hello) >= 0) {
    // an older server: it does not know hello and replies to its own --reply-port only
    post("patchflow: the server does not register reply ports (" + text + ")\n");
    return;
  }
  if (/^busy/.test(text) && id !== S.awaitingMatch) {
    post("patchflow: request " + id + " superseded (" + text + ")\n");
    return; // an older match that a newer one replaced: nothing to show
  }
  if (id === S.awaitingMatch && id >= 0) {
    var u = S.upload;
    if (/^incomplete/.test(text) && u && u.id === id && !u.retried) {
      u.retried = true;
      u.next = 0;
      status("capture", "resending " + u.msgs.chunks.length + " chunks");
      later(uploadTask, 0);
      return;
    }
    S.awaitingMatch = -1;
    matchTimeoutTask.cancel();
    status("capture", "match failed");
    updateLight();
  }
  showError(text);
}

/** Replies from [udpreceive]: the message name is the OSC address. */
function anything() {
  var address = String(messagename);
  var args = argsArray(arguments);
  if (address === PF.ADDR.params) {
    onParams(args);
  } else if (address === PF.ADDR.pong) {
    onPong(args);
  } else if (address === PF.ADDR.names) {
    onNames(args);
  } else if (address === PF.ADDR.info) {
    onInfo(args);
  } else if (address === PF.ADDR.latency) {
    onLatency(args);
  } else if (address === PF.ADDR.error) {
    onError(args);
  } else if (address === PF.ADDR_STREAM.score) {
    onScore(args);
  } else if (address === PF.ADDR_STREAM.note) {
    onNote(args);
  } else if (address === PF.ADDR_STREAM.candidate) {
    onCandidate(args);
  } else if (address === PF.ADDR_STREAM.hello) {
    onHello(args);
  } else if (address === PF.ADDR.nativeValues) {
    return;
  } else {
    post("patchflow: ignored message " + address + "\n");
  }
}

// --------------------------------------------------------------------------------------------
// Capture and upload

function bang() {
  match();
}

function matchbutton() {
  if (isPress(argsArray(arguments))) {
    match();
  }
}

/** Match is disabled while the server is offline: say so instead of recording for nothing. */
function refuseOffline() {
  if (S.serverAlive) {
    return false;
  }
  showError("the server is offline: press Start (Server) or check Host and Send");
  status("capture", "offline: start the server first");
  return true;
}

function match() {
  if (!S.ready) {
    showError("the device is still loading");
    return;
  }
  if (S.recording || refuseOffline()) {
    return;
  }
  S.recording = true;
  S.recordFrames = Math.round(S.lengthS * S.sampleRate);
  outlet(OUT_REC, 1);
  status("capture", "recording " + S.lengthS.toFixed(1) + " s");
  updateLight();
  later(recordTask, S.lengthS * 1000 + RECORD_MARGIN_MS);
}

function recordDone() {
  outlet(OUT_REC, 0);
  S.recording = false;
  var buf = new Buffer(S.capBufferName);
  var frames = Math.min(S.recordFrames, buf.framecount());
  var channels = Math.max(1, buf.channelcount());
  var mono = PF.readMono(function (ch, start, count) {
    return buf.peek(ch, start, count);
  }, channels, frames);
  sendAudio(mono, S.sampleRate, "capture");
}

function dropfile() {
  var path = argsText(arguments);
  if (!path || !S.ready || refuseOffline()) {
    return;
  }
  var shortName = path.replace(/^.*[\/:\\]/, "");
  if (useFileTransport()) {
    var id = nextId();
    beginMatch(id);
    sendOsc([PF.ADDR.matchFile, id, PF.toNativePath(path, S.os)]);
    status("capture", "matching file " + shortName);
    return;
  }
  S.fileLoading = true;
  S.fileSampleRate = 0;
  status("capture", "loading " + shortName);
  new Buffer(S.fileBufferName).send("replace", path);
}

function filesr(sr) {
  S.fileSampleRate = Number(sr);
}

function fileloaded() {
  if (!S.fileLoading) {
    return;
  }
  S.fileLoading = false;
  var buf = new Buffer(S.fileBufferName);
  var sr = S.fileSampleRate > 0 ? S.fileSampleRate : S.sampleRate;
  var frames = Math.min(buf.framecount(), Math.round(S.maxSeconds * sr));
  var channels = Math.max(1, buf.channelcount());
  var mono = PF.readMono(function (ch, start, count) {
    return buf.peek(ch, start, count);
  }, channels, frames);
  sendAudio(mono, sr, "file");
}

function useFileTransport() {
  if (S.transport === 1) {
    return true;
  }
  if (S.transport === 2) {
    return false;
  }
  return PF.isLocalHost(S.host);
}

function rms(samples) {
  var acc = 0;
  for (var i = 0; i < samples.length; i++) {
    acc += samples[i] * samples[i];
  }
  return samples.length ? Math.sqrt(acc / samples.length) : 0;
}

function sendAudio(samples, sampleRate, label) {
  if (samples.length === 0) {
    showError("nothing recorded (is audio running?)");
    status("capture", "nothing recorded");
    return;
  }
  var id = nextId();
  var seconds = (samples.length / sampleRate).toFixed(2);
  var quiet = rms(samples) < 1e-5 ? " (silent input?)" : "";
  beginMatch(id);
  if (useFileTransport()) {
    // per instance (device id) and rotating: instances never overwrite each other's captures
    var path = PF.joinPath(S.tempDir, "patchflow_capture_" + S.thisDeviceId + "_" + (id % TEMP_FILES) + ".wav");
    try {
      writeWav(path, samples, sampleRate);
      sendOsc([PF.ADDR.matchFile, id, PF.toNativePath(path, S.os)]);
      status("capture", "matching " + seconds + " s " + label + " (file)" + quiet);
      return;
    } catch (e) {
      showError("could not write " + path + " (" + e.message + "); sending chunks instead");
    }
  }
  startUpload(id, samples, sampleRate);
  status("capture", "matching " + seconds + " s " + label + " (" + S.upload.msgs.chunks.length
    + " chunks)" + quiet);
}

function beginMatch(id) {
  S.awaitingMatch = id;
  S.matchSentMs = nowMs();
  later(matchTimeoutTask, MATCH_TIMEOUT_MS);
  updateLight();
}

function matchTimedOut() {
  if (S.awaitingMatch < 0) {
    return;
  }
  showError("no reply to match " + S.awaitingMatch + " from " + S.host + ":" + S.sendPort);
  status("capture", "match timed out");
  S.awaitingMatch = -1;
  updateLight();
}

function writeWav(path, samples, sampleRate) {
  var f = new File(path, "write", "WAVE");
  if (!f.isopen) {
    throw new Error("cannot open for writing");
  }
  f.byteorder = "little";
  f.position = 0;
  f.writebytes(PF.wavHeaderBytes(samples.length, 1, sampleRate));
  var block = 2048;
  for (var i = 0; i < samples.length; i += block) {
    f.writefloat32(samples.slice(i, Math.min(samples.length, i + block)));
  }
  f.eof = f.position;
  f.close();
}

function startUpload(id, samples, sampleRate) {
  S.upload = {
    id: id,
    msgs: PF.uploadMessages(id, samples, sampleRate, 1, S.chunkFloats),
    next: 0,
    retried: false
  };
  sendOsc(S.upload.msgs.begin);
  later(uploadTask, 0);
}

function uploadTick() {
  var u = S.upload;
  if (!u) {
    return;
  }
  var sent = 0;
  while (u.next < u.msgs.chunks.length && sent < CHUNKS_PER_TICK) {
    sendOsc(u.msgs.chunks[u.next]);
    u.next += 1;
    sent += 1;
  }
  if (u.next < u.msgs.chunks.length) {
    later(uploadTask, CHUNK_TICK_MS);
  } else {
    sendOsc(u.msgs.end);
  }
}

// --------------------------------------------------------------------------------------------
// Parameter replies

/**
 * /patchflow/params <id> <v...>. For the match this instance awaits: the first answer. With a
 * streaming server (it answered hello, with a search budget > 0 or not said) the first answer and
 * each improvement play at once through live.remote~ (no undo steps) and the best patch is
 * written once through the Live API when the final score arrives: one match, one undo step. With
 * a server that said its budget is 0, or an older server, the first answer is final and is
 * written at once. For the current match after that: macro and morph results. Anything
 * else (an older match, a superseded one) is ignored.
 */
function onParams(args) {
  if (args.length < 1) {
    return;
  }
  var id = Number(args[0]);
  var values = [];
  for (var i = 1; i < args.length; i++) {
    values.push(Number(args[i]));
  }
  if (id === S.awaitingMatch) {
    startMatchResult(id, values);
    return;
  }
  if (id !== S.matchId) {
    return; // a late reply of an older match
  }
  S.lastValues = values;
  if (S.refine && S.refine.id === id) {
    S.refine.improvements += 1;
    markStreaming();
    pushStream(values, false);
    return;
  }
  // A macro or morph result: stream it through live.remote~, no undo steps.
  S.streamValues = values;
  pushStream(values, true);
}

function startMatchResult(id, values) {
  S.awaitingMatch = -1;
  matchTimeoutTask.cancel();
  S.lastRoundTripMs = nowMs() - S.matchSentMs;
  S.matchId = id;
  S.upload = null;
  S.lastValues = values;
  S.streamValues = null;
  commitTask.cancel();
  recvFlushTask.cancel();
  S.recvFlushPending = false;
  S.recvThrottle.clear();
  S.candidates = [];
  S.lastScore = null;
  showCandidates();
  recentreMacros();
  status("capture", "matched (" + Math.round(S.lastRoundTripMs) + " ms)");
  if (serverStreams() && S.serverSearchS !== 0) {
    // The server may stream a search after this first answer. Play the answer now; store the
    // best patch when the stream ends. A server that said its search budget is > 0 streams for
    // sure (wait up to REFINE_TIMEOUT_MS for the final score); one too old to say may or may
    // not: store after STREAM_WAIT_MS when no score or improvement begins a stream.
    S.refine = { id: id, improvements: 0, streaming: false };
    later(refineTimeoutTask, STREAM_WAIT_MS);
    pushStream(values, false);
    if (S.serverSearchS !== null && S.serverSearchS > 0) {
      markStreaming();
    }
  } else {
    // An older server without streams, or one that said its budget is 0: the first answer is
    // final (a note may follow; it changes nothing). Store it at once: one match, one undo step.
    S.refine = null;
    queueApply(values);
  }
  updateLight();
}

/** Play values through live.remote~ at most ~30 times a second; commit later when asked. */
function pushStream(values, commitLater) {
  S.recvThrottle.push("values", values);
  if (!S.recvFlushPending) {
    S.recvFlushPending = true;
    later(recvFlushTask, S.recvThrottle.delayMs(nowMs()));
  }
  if (commitLater && COMMIT_DELAY_MS > 0) {
    later(commitTask, COMMIT_DELAY_MS);
  }
}

function formatScore(score) {
  var v = Number(score);
  return isFinite(v) ? v.toFixed(3) : String(score);
}

/** /patchflow/score <id> <score> <final>: show it; the final one ends the stream. */
function onScore(args) {
  if (args.length < 3) {
    return;
  }
  var id = Number(args[0]);
  if (id !== S.matchId || !S.refine || S.refine.id !== id) {
    return;
  }
  S.lastScore = Number(args[1]);
  markStreaming();
  if (Number(args[2]) === 0) {
    status("score", "score " + formatScore(S.lastScore) + " (refining, " + S.refine.improvements
      + " improvement" + (S.refine.improvements === 1 ? "" : "s") + ")");
    return;
  }
  finishRefine("score " + formatScore(S.lastScore) + " (final)");
}

/** End a match's stream: write the best patch once through the Live API (one undo step). */
function finishRefine(text) {
  var r = S.refine;
  S.refine = null;
  refineTimeoutTask.cancel();
  recvFlushTask.cancel();
  S.recvFlushPending = false;
  S.recvThrottle.clear();
  status("score", text + (r && r.improvements ? ", " + r.improvements + " improvement"
    + (r.improvements === 1 ? "" : "s") : ""));
  if (S.lastValues) {
    queueApply(S.lastValues);
  }
  updateLight();
}

/**
 * A macro or Morph move right after a first answer that no search followed (yet): store that
 * answer now, so the macro's replies are not taken for improvements of a search.
 */
function settleFirstAnswer() {
  if (S.refine && !S.refine.streaming) {
    finishRefine("one answer (no search)");
  }
}

/** A score or an improvement came: a search is streaming; wait for its final score. */
function markStreaming() {
  if (S.refine && !S.refine.streaming) {
    S.refine.streaming = true;
    status("score", "refining...");
    later(refineTimeoutTask, REFINE_TIMEOUT_MS);
  }
}

function refineTimedOut() {
  if (!S.refine) {
    return;
  }
  if (!S.refine.streaming) {
    finishRefine("one answer (no search)");
    return;
  }
  finishRefine("no final score: kept the best so far");
}

/** /patchflow/note <id> <midi> <confidence> <octaves_shifted>. */
function onNote(args) {
  if (args.length < 4) {
    return;
  }
  var id = Number(args[0]);
  if (id !== S.matchId && id !== S.awaitingMatch) {
    return;
  }
  var d = PF.describeNote(args[1], args[2], args[3]);
  status("note", d.hint ? d.text + "; " + d.hint : d.text); // sent with or without a search
}

/** /patchflow/candidate <id> <rank> <score> <v...>: the best distinct patches, for slots A-D. */
function onCandidate(args) {
  if (args.length < 4) {
    return;
  }
  var id = Number(args[0]);
  var rank = Math.round(Number(args[1]));
  if (id !== S.matchId || !(rank >= 0 && rank < CANDIDATE_SLOTS)) {
    return;
  }
  var values = [];
  for (var i = 3; i < args.length; i++) {
    values.push(Number(args[i]));
  }
  S.candidates[rank] = { score: Number(args[2]), values: values };
  showCandidates();
}

function showCandidates() {
  var parts = [];
  for (var k = 0; k < CANDIDATE_SLOTS; k++) {
    var c = S.candidates[k];
    parts.push("ABCD".charAt(k) + " " + (c ? formatScore(c.score) : "-"));
  }
  status("candidates", parts.join("  "));
}

/** Candidate button A-D (0-3): audition that patch (written once, one undo step). */
function candidate(k) {
  var i = Math.round(Number(k));
  if (!(i >= 0 && i < CANDIDATE_SLOTS)) {
    return;
  }
  var c = S.candidates[i];
  if (!c) {
    status("candidates", "no candidate " + "ABCD".charAt(i) + " yet (they come at the end of a match)");
    return;
  }
  if (S.refine) {
    finishRefine("stopped at candidate " + "ABCD".charAt(i));
  }
  commitTask.cancel();
  S.streamValues = null;
  S.lastValues = c.values;
  queueApply(c.values);
  status("capture", "candidate " + "ABCD".charAt(i) + " (score " + formatScore(c.score) + ")");
}

/** After every match the macro dials go back to the centre and Morph to the new match. */
function recentreMacros() {
  S.sendThrottle.clear();
  sendFlushTask.cancel();
  S.sendFlushPending = false;
  for (var k = 0; k < S.macroValues.length; k++) {
    S.macroValues[k] = 0.5;
    ui("macro" + (k + 1), "set", 0.5);
  }
  ui("morphdial", "set", 1.0);
}

function queueApply(values) {
  if (!S.names) {
    S.pendingValues = values;
    sendOsc([PF.ADDR.names]);
    return;
  }
  if (!S.target || !S.match) {
    S.pendingValues = values;
    status("mapping", "matched: pick a target device to apply");
    return;
  }
  S.applyQueue = values;
  later(applyTask, 0); // deferred: the whole set goes out in one main-thread batch
}

function applyQueued() {
  var values = S.applyQueue;
  S.applyQueue = null;
  if (values) {
    applyValues(values, "match", false);
  }
}

function isPlaying() {
  try {
    return getNumber(new LiveAPI("live_set"), "is_playing") === 1;
  } catch (e) {
    return false;
  }
}

/** True when Live plays automation for this parameter (automation_state 1). */
function automationPlays(live) {
  try {
    return getNumber(live.api, "automation_state") === 1;
  } catch (e) {
    return false;
  }
}

/**
 * Write a parameter set through the Live API, bracketed by Song.begin_undo_step and
 * end_undo_step so that Live can group the writes into one undo entry. Nothing is written when
 * the target is no longer the device the user chose (checkTarget says why in the device).
 * @param {boolean} skipAutomated leave parameters alone whose automation plays while the song
 *     plays (the final write after macro moves must not fight the synth's own automation).
 * @return {number} the number of parameters written.
 */
function applyValues(values, why, skipAutomated) {
  if (!S.match) {
    return 0;
  }
  if (!checkTarget()) {
    releaseRemotes();
    return 0;
  }
  releaseRemotes();
  var playing = skipAutomated ? isPlaying() : false;
  var automated = 0;
  var song = null;
  try {
    song = new LiveAPI("live_set");
    song.call("begin_undo_step");
  } catch (e) {
    song = null;
  }
  var written = 0;
  var failed = 0;
  try {
    var pairs = S.match.pairs;
    for (var i = 0; i < pairs.length; i++) {
      var p = pairs[i];
      var v = PF.scaleToLive(values[p.modelIndex], p.live, p.range);
      if (v === null) {
        continue;
      }
      if (playing && automationPlays(p.live)) {
        automated += 1;
        continue;
      }
      try {
        p.live.api.set("value", v);
        p.live.value = v;
        written += 1;
      } catch (e2) {
        failed += 1;
      }
    }
  } finally {
    if (song) {
      try {
        song.call("end_undo_step");
      } catch (e3) {
        post("patchflow: end_undo_step failed\n");
      }
    }
  }
  status("mapping", "applied " + written + "/" + S.names.length + " (" + why + ")"
    + (failed ? ", " + failed + " refused" : "")
    + (automated ? ", " + automated + " left to their automation" : ""));
  return written;
}

// --------------------------------------------------------------------------------------------
// Macros, morph and live.remote~ streams

function macro(index, value) {
  var i = Math.round(Number(index)) - 1;
  var v = Number(value);
  if (!(i >= 0 && i < S.macroValues.length) || !isFinite(v)) {
    return;
  }
  S.macroValues[i] = v;
  if (!S.ready || S.matchId < 0) {
    return;
  }
  if (S.nMacros > 0 && i >= S.nMacros) {
    status("mapping", "this model has " + S.nMacros + " macros");
    return;
  }
  settleFirstAnswer();
  S.sendThrottle.push("macro" + i, { index: i, value: v });
  scheduleSendFlush();
}

function morph(value) {
  var v = Number(value);
  if (!isFinite(v) || !S.ready || S.matchId < 0) {
    return;
  }
  settleFirstAnswer();
  S.sendThrottle.push("morph", { value: v });
  scheduleSendFlush();
}

function scheduleSendFlush() {
  if (S.sendFlushPending) {
    return;
  }
  S.sendFlushPending = true;
  later(sendFlushTask, S.sendThrottle.delayMs(nowMs()));
}

function sendFlush() {
  S.sendFlushPending = false;
  var items = S.sendThrottle.flush(nowMs());
  for (var i = 0; i < items.length; i++) {
    var it = items[i];
    if (it.key === "morph") {
      sendOsc([PF.ADDR.morph, PF.clamp(it.value.value, 0, 1)]);
    } else {
      sendOsc([PF.ADDR.macro, it.value.index, PF.clamp(it.value.value, 0, 1)]);
    }
  }
}

function recvFlush() {
  S.recvFlushPending = false;
  var items = S.recvThrottle.flush(nowMs());
  if (items.length > 0) {
    driveRemotes(items[items.length - 1].value);
  }
}

function bindRemotes() {
  if (S.remotesBound || !S.match) {
    return;
  }
  S.remoteSlots = S.match.pairs.slice(0, REMOTE_SLOTS);
  S.remoteLast = [];
  for (var k = 0; k < S.remoteSlots.length; k++) {
    outlet(OUT_REMOTE_ID, k, "id", Number(S.remoteSlots[k].live.id));
    S.remoteLast.push(null);
  }
  S.remotesBound = true;
}

function releaseRemotes() {
  if (!S.remotesBound) {
    return;
  }
  for (var k = 0; k < S.remoteSlots.length; k++) {
    outlet(OUT_REMOTE_ID, k, "id", 0);
  }
  S.remotesBound = false;
  S.remoteSlots = [];
  S.remoteLast = [];
}

function driveRemotes(values) {
  if (!S.target || !S.match) {
    return;
  }
  if (!S.remotesBound && !checkTarget()) {
    return;
  }
  bindRemotes();
  for (var k = 0; k < S.remoteSlots.length; k++) {
    var p = S.remoteSlots[k];
    var v = PF.scaleToLive(values[p.modelIndex], p.live, p.range);
    if (v === null || v === S.remoteLast[k]) {
      continue;
    }
    outlet(OUT_REMOTE_VALUE, k, v);
    S.remoteLast[k] = v;
  }
  if (S.match.pairs.length > REMOTE_SLOTS) {
    status("mapping", "streaming " + REMOTE_SLOTS + " of " + S.match.pairs.length
      + " parameters (the rest follow on release)");
  }
}

/**
 * After the stream goes quiet: release live.remote~ and write the last values through the Live
 * API (one undo step), so the Set stores what you hear. Also available as the "commit" message.
 */
function commit() {
  commitTask.cancel();
  var values = S.streamValues;
  S.streamValues = null;
  if (!values) {
    return;
  }
  releaseRemotes();
  applyValues(values, "macros", true);
}

// --------------------------------------------------------------------------------------------
// Target device: chooser and click-to-pick

/** Refresh (a user action): re-read the tracks and find the target again by its identity. */
function rescan() {
  refreshTracks();
  if (S.target && reconnectTarget()) {
    saveState(); // only when the target moved or its track was renamed (saveState skips no-ops)
  }
}

// --------------------------------------------------------------------------------------------
// Target identity: the Live id while the Set is open; device name and track name after a reload

/**
 * Why writing to the target would be wrong now ("" when it is still the chosen device). While
 * the Set is open the device keeps its Live id wherever it moves, so the id decides; a device
 * renamed since it was chosen is refused too (it may have been replaced).
 */
function targetProblem() {
  if (!S.target) {
    return "no target";
  }
  if (S.targetId === "0") {
    return S.targetProblem || "the target is not connected";
  }
  var dev = new LiveAPI("id " + S.targetId);
  if (!validApi(dev)) {
    return "\"" + S.target.deviceName + "\" is gone (deleted?): pick the synth again";
  }
  var name = getString(dev, "name");
  if (name !== S.target.deviceName) {
    return "the target was renamed from \"" + S.target.deviceName + "\" to \"" + name
      + "\": pick it again to confirm";
  }
  S.target.path = PF.unquotePath(dev.path);
  return "";
}

/** Refuse (and say so in the device) when the target is not the chosen device any more. */
function checkTarget() {
  var problem = targetProblem();
  if (!problem) {
    return true;
  }
  S.targetProblem = problem;
  status("target", "not written: " + problem);
  showError("not written: " + problem);
  return false;
}

/** The devices named deviceName on tracks named trackName (paths). */
function findDevicesByName(trackName, deviceName) {
  var out = [];
  for (var i = 0; i < S.tracks.length; i++) {
    if (S.tracks[i].name !== trackName) {
      continue;
    }
    var devs = listDevices(S.tracks[i].path, "", 0);
    for (var j = 0; j < devs.length; j++) {
      if (devs[j].name === deviceName) {
        out.push(devs[j].path);
      }
    }
  }
  return out;
}

function trackNameOfPath(path) {
  var ti = trackIndexOfPath(path);
  return ti >= 0 ? S.tracks[ti].name : "";
}

/**
 * Connect to the saved target again (start-up, restore, Refresh): by Live id while the Set is
 * open, else the one device with the saved name on the track with the saved name. Nothing is
 * connected (and nothing will be written) when that is not unique.
 */
function reconnectTarget() {
  var t = S.target;
  if (S.targetId !== "0") {
    var byId = new LiveAPI("id " + S.targetId);
    if (validApi(byId)) {
      var name = getString(byId, "name");
      if (name !== t.deviceName) {
        return disconnectTarget("the target was renamed from \"" + t.deviceName + "\" to \"" + name
          + "\": pick it again to confirm");
      }
      var path = PF.unquotePath(byId.path);
      var ok = loadTarget(path, { trackName: trackNameOfPath(path) || t.trackName }, false);
      syncTargetMenus();
      return ok;
    }
  }
  var found = findDevicesByName(t.trackName, t.deviceName);
  if (found.length > 1) {
    var same = found.indexOf(t.path) >= 0 ? t.path : "";
    if (!same) {
      return disconnectTarget(found.length + " devices named \"" + t.deviceName + "\" on track \""
        + t.trackName + "\": pick one");
    }
    found = [same];
  }
  if (found.length === 0) {
    return disconnectTarget("no \"" + t.deviceName + "\" on a track named \"" + t.trackName
      + "\" (the Set changed?): pick the synth again");
  }
  var loaded = loadTarget(found[0], { trackName: t.trackName }, false);
  syncTargetMenus();
  return loaded;
}

function disconnectTarget(problem) {
  releaseRemotes();
  S.targetId = "0";
  S.targetProblem = problem;
  S.liveParams = [];
  S.match = null;
  status("target", "not connected: " + problem);
  refreshMappingMenus();
  return false;
}

/** Show the connected target in the Track and Device menus. */
function syncTargetMenus() {
  if (!S.target || S.targetId === "0") {
    return;
  }
  var ti = trackIndexOfPath(S.target.path);
  if (ti >= 0) {
    S.uiTrack = ti;
    ui("track", "set", ti);
    fillDevices(ti);
  }
}

function refreshTracks() {
  var tracks = [];
  var song = new LiveAPI("live_set");
  var n = song.getcount("tracks");
  var i;
  for (i = 0; i < n; i++) {
    var t = new LiveAPI("live_set tracks " + i);
    tracks.push({ name: getString(t, "name"), path: "live_set tracks " + i });
  }
  var nr = song.getcount("return_tracks");
  for (i = 0; i < nr; i++) {
    var r = new LiveAPI("live_set return_tracks " + i);
    tracks.push({ name: "Return " + getString(r, "name"), path: "live_set return_tracks " + i });
  }
  tracks.push({ name: "Master", path: "live_set master_track" });
  S.tracks = tracks;
  ui("track", "clear");
  for (i = 0; i < tracks.length; i++) {
    ui("track", "append", tracks[i].name);
  }
  var sel = S.target ? trackIndexOfPath(S.target.path) : -1;
  if (sel >= 0) {
    S.uiTrack = sel;
    ui("track", "set", sel);
    fillDevices(sel);
  }
}

function trackIndexOfPath(path) {
  for (var i = 0; i < S.tracks.length; i++) {
    var tp = S.tracks[i].path;
    if (path === tp || path.indexOf(tp + " ") === 0) {
      return i;
    }
  }
  return -1;
}

function listDevices(path, prefix, depth) {
  var out = [];
  var holder = new LiveAPI(path);
  var n = holder.getcount("devices");
  for (var j = 0; j < n; j++) {
    var dpath = path + " devices " + j;
    var d = new LiveAPI(dpath);
    var name = getString(d, "name");
    if (idOf(d) !== S.thisDeviceId) {
      out.push({ label: prefix + name, name: name, path: dpath });
    }
    if (depth < 2 && getNumber(d, "can_have_chains") === 1) {
      var nc = d.getcount("chains");
      for (var c = 0; c < nc; c++) {
        var cpath = dpath + " chains " + c;
        var chain = new LiveAPI(cpath);
        out = out.concat(listDevices(cpath, prefix + name + " / " + getString(chain, "name") + " / ",
          depth + 1));
      }
    }
  }
  return out;
}

function fillDevices(trackIndex) {
  S.devices = listDevices(S.tracks[trackIndex].path, "", 0);
  ui("device", "clear");
  for (var i = 0; i < S.devices.length; i++) {
    ui("device", "append", S.devices[i].label);
  }
  if (S.target) {
    for (i = 0; i < S.devices.length; i++) {
      if (S.devices[i].path === S.target.path) {
        ui("device", "set", i);
      }
    }
  }
}

function picktrack(i) {
  var k = Math.round(Number(i));
  if (!S.ready || !(k >= 0 && k < S.tracks.length)) {
    return;
  }
  S.uiTrack = k;
  fillDevices(k);
}

function pickdevice(i) {
  var k = Math.round(Number(i));
  if (!S.ready || !(k >= 0 && k < S.devices.length) || S.uiTrack < 0) {
    return;
  }
  loadTarget(S.devices[k].path, { trackName: S.tracks[S.uiTrack].name }, true);
}

function readParams(path) {
  var dev = new LiveAPI(path);
  var n = dev.getcount("parameters");
  var out = [];
  for (var i = 0; i < n; i++) {
    var p = new LiveAPI(path + " parameters " + i);
    var quantized = getNumber(p, "is_quantized") === 1;
    var items = quantized ? p.get("value_items") : [];
    out.push({
      index: i,
      id: idOf(p),
      name: getString(p, "name"),
      min: getNumber(p, "min"),
      max: getNumber(p, "max"),
      quantized: quantized,
      nItems: items && items.length ? items.length : 0,
      api: p
    });
  }
  return out;
}

function loadTarget(path, meta, save) {
  var dev = new LiveAPI(path);
  if (!validApi(dev)) {
    return disconnectTarget("target missing: " + (meta.deviceName || path) + " (pick it again)");
  }
  var name = getString(dev, "name");
  if (meta.deviceName && name !== meta.deviceName) {
    post("patchflow: the device at " + path + " is now \"" + name + "\" (was \""
      + meta.deviceName + "\")\n");
  }
  releaseRemotes();
  S.target = { path: path, trackName: meta.trackName || "", deviceName: name };
  S.targetId = idOf(dev);
  S.targetProblem = "";
  S.liveParams = readParams(path);
  status("target", (S.target.trackName ? S.target.trackName + " / " : "") + name + " ("
    + S.liveParams.length + " parameters)");
  recomputeMapping();
  if (save) {
    saveState();
  }
  if (S.pendingValues && S.match) {
    var values = S.pendingValues;
    S.pendingValues = null;
    queueApply(values);
  }
  return true;
}

/**
 * Pick: watch Song.appointed_device (follows clicks when a control surface appoints devices),
 * Song.View.selected_parameter (a click on one of the synth's controls) and the selected track's
 * View.selected_device (a click on a device's title bar, which is what works without a control
 * surface); the observer of selected_device moves to each newly selected track.
 */
function pickarm() {
  if (!isPress(argsArray(arguments)) || !S.ready) {
    return;
  }
  if (!S.pickObservers) {
    S.pickObservers = {
      appointed: new LiveAPI(onPickChange, "live_set"),
      parameter: new LiveAPI(onPickChange, "live_set view"),
      track: new LiveAPI(onSelectedTrack, "live_set view"),
      device: new LiveAPI(onPickChange, "live_set view selected_track view")
    };
  }
  var song = new LiveAPI("live_set");
  var view = new LiveAPI("live_set view");
  S.pickBaseline = {
    appointed_device: String(PF.atomsToString(song.get("appointed_device"))),
    selected_parameter: String(PF.atomsToString(view.get("selected_parameter"))),
    selected_device: selectedDeviceText(),
    selected_track: String(PF.atomsToString(view.get("selected_track")))
  };
  S.pickArmed = true;
  S.pickObservers.appointed.property = "appointed_device";
  S.pickObservers.parameter.property = "selected_parameter";
  S.pickObservers.device.goto("live_set view selected_track view");
  S.pickObservers.device.property = "selected_device";
  S.pickObservers.track.property = "selected_track";
  status("target", "click the synth (its title bar or one of its controls)");
  later(pickTimeoutTask, PICK_TIMEOUT_MS);
}

function selectedDeviceText() {
  try {
    var tv = new LiveAPI("live_set view selected_track view");
    return validApi(tv) ? String(PF.atomsToString(tv.get("selected_device"))) : "";
  } catch (e) {
    return "";
  }
}

/** Another track was selected: observe its selected_device from now on. */
function onSelectedTrack(args) {
  if (!S.pickArmed || !S.pickObservers) {
    return;
  }
  var a = argsArray(args);
  if (a.length < 2 || String(a[0]) !== "selected_track") {
    return;
  }
  var trackText = PF.atomsToString(a.slice(1));
  if (trackText === S.pickBaseline.selected_track) {
    return;
  }
  S.pickBaseline.selected_track = trackText;
  var obs = S.pickObservers.device;
  obs.property = "";
  obs.goto("live_set view selected_track view");
  // a new track's current selection counts as a click (the user selected that track's device)
  S.pickBaseline.selected_device = "";
  obs.property = "selected_device";
}

function onPickChange(args) {
  if (!S.pickArmed) {
    return;
  }
  var a = argsArray(args);
  if (a.length < 2) {
    return;
  }
  var prop = String(a[0]);
  var idText = PF.atomsToString(a.slice(1));
  var id = String(a[a.length - 1]);
  if (id === "0" || !Object.prototype.hasOwnProperty.call(S.pickBaseline, prop)
    || S.pickBaseline[prop] === idText) {
    return;
  }
  var deviceId = id;
  if (prop === "selected_parameter") {
    var parent = new LiveAPI("id " + id).get("canonical_parent");
    deviceId = String(parent[parent.length - 1]);
  }
  if (deviceId === S.thisDeviceId || deviceId === "0") {
    return;
  }
  S.pickArmed = false;
  S.pickedId = deviceId;
  later(pickApplyTask, 0); // observers must not change the Set: continue outside the callback
}

function disarmPick() {
  S.pickArmed = false;
  pickTimeoutTask.cancel();
  if (S.pickObservers) {
    S.pickObservers.appointed.property = "";
    S.pickObservers.parameter.property = "";
    S.pickObservers.track.property = "";
    S.pickObservers.device.property = "";
  }
}

function pickTimedOut() {
  if (S.pickArmed) {
    disarmPick();
    status("target", S.target ? S.target.deviceName : "no target: pick a track and device");
  }
}

function pickApply() {
  disarmPick();
  var dev = new LiveAPI("id " + S.pickedId);
  if (!validApi(dev)) {
    return;
  }
  var path = PF.unquotePath(dev.path);
  var ti = trackIndexOfPath(path);
  if (ti < 0) {
    refreshTracks();
    ti = trackIndexOfPath(path);
  }
  loadTarget(path, { trackName: ti >= 0 ? S.tracks[ti].name : "" }, true);
  if (ti >= 0) {
    S.uiTrack = ti;
    ui("track", "set", ti);
    fillDevices(ti);
  }
}

// --------------------------------------------------------------------------------------------
// Name mapping

function recomputeMapping() {
  releaseRemotes();
  if (!S.names || S.liveParams.length === 0) {
    S.match = null;
    status("mapping", S.names ? "no target parameters" : "waiting for the model's parameter names");
    refreshMappingMenus();
    return;
  }
  S.match = PF.matchNames(S.names, S.liveParams, S.mapping);
  var text = "mapped " + S.match.pairs.length + "/" + S.names.length;
  if (S.match.unmatched.length > 0) {
    text += ", unmapped: " + S.match.unmatched.slice(0, 3).join(", ")
      + (S.match.unmatched.length > 3 ? ", ..." : "");
  }
  status("mapping", text);
  refreshMappingMenus();
}

function pairForModel(i) {
  if (!S.match) {
    return null;
  }
  for (var k = 0; k < S.match.pairs.length; k++) {
    if (S.match.pairs[k].modelIndex === i) {
      return S.match.pairs[k];
    }
  }
  return null;
}

function refreshMappingMenus() {
  var i;
  ui("model", "clear");
  if (S.names) {
    for (i = 0; i < S.names.length; i++) {
      var p = pairForModel(i);
      ui("model", "append", S.names[i] + " -> " + (p ? p.live.name : "(none)"));
    }
  }
  ui("live", "clear");
  ui("live", "append", "(none)");
  for (i = 0; i < S.liveParams.length; i++) {
    ui("live", "append", S.liveParams[i].name);
  }
  if (S.editModel >= 0 && S.names && S.editModel < S.names.length) {
    ui("model", "set", S.editModel);
    var pe = pairForModel(S.editModel);
    ui("live", "set", pe ? pe.liveIndex + 1 : 0);
  }
}

function modelparam(i) {
  var k = Math.round(Number(i));
  if (!S.names || !(k >= 0 && k < S.names.length)) {
    return;
  }
  S.editModel = k;
  var p = pairForModel(k);
  ui("live", "set", p ? p.liveIndex + 1 : 0);
}

function liveparam(j) {
  var k = Math.round(Number(j));
  if (!S.names || S.editModel < 0 || !(k >= 0 && k <= S.liveParams.length)) {
    return;
  }
  S.mapping[S.names[S.editModel]] = k === 0 ? "" : S.liveParams[k - 1].name;
  recomputeMapping();
  saveState();
}

function automap() {
  if (!isPress(argsArray(arguments))) {
    return;
  }
  S.mapping = {};
  recomputeMapping();
  saveState();
}

function loadmapbutton() {
  if (isPress(argsArray(arguments))) {
    ui("opendialog", "bang");
  }
}

function savemapbutton() {
  if (isPress(argsArray(arguments))) {
    ui("savedialog", "bang");
  }
}

function readTextFile(path) {
  var f = new File(path, "read");
  if (!f.isopen) {
    throw new Error("cannot open " + path);
  }
  var text = "";
  while (f.position < f.eof) {
    var part = f.readstring(Math.min(4096, f.eof - f.position));
    if (!part) {
      break;
    }
    text += part;
  }
  f.close();
  return text;
}

function writeTextFile(path, text) {
  var f = new File(path, "write", "TEXT");
  if (!f.isopen) {
    throw new Error("cannot open " + path + " for writing");
  }
  f.position = 0;
  f.writestring(text);
  f.eof = f.position;
  f.close();
}

function readmap() {
  var path = argsText(arguments);
  try {
    var parsed = PF.parseMappingText(readTextFile(path));
    S.mapping = parsed.mapping;
    recomputeMapping();
    saveState();
  } catch (e) {
    showError("mapping file: " + e.message);
  }
}

function writemap() {
  var path = argsText(arguments);
  if (!S.names) {
    showError("no model names yet: start the server first");
    return;
  }
  var m = S.match ? PF.mappingFromPairs(S.names, S.match.pairs) : {};
  for (var k in S.mapping) {
    if (Object.prototype.hasOwnProperty.call(S.mapping, k)) {
      m[k] = S.mapping[k];
    }
  }
  try {
    writeTextFile(path, PF.formatMappingText(m, S.target ? S.target.deviceName : "", S.model));
    status("mapping", "saved " + path.replace(/^.*[\/:\\]/, ""));
  } catch (e) {
    showError("could not save the mapping: " + e.message);
  }
}

// --------------------------------------------------------------------------------------------
// The server process: [node.script patchflow_server.js] starts, watches and stops `patchflow serve`

/** Arguments of `patchflow serve` for this instance's settings. */
function serveArgs() {
  var args = ["serve", "--osc-port", S.sendPort, "--reply-port", S.boundReplyPort || effectiveReplyPort()];
  if (S.serverModel) {
    args.push("--model", S.serverModel);
  }
  if (S.serverPlugin) {
    args.push("--plugin", S.serverPlugin);
  }
  args.push("--budget-s", S.serverBudgetS);
  return args;
}

/** Search seconds for the server the device starts (0: one answer per match, no refinement). */
function serverbudget(v) {
  var s = Number(v);
  if (!(s >= 0) || s === S.serverBudgetS) {
    return;
  }
  S.serverBudgetS = PF.clamp(s, 0, 30);
}

function serverstart() {
  if (arguments.length > 0 && !isPress(argsArray(arguments))) {
    return;
  }
  if (!PF.isLocalHost(S.host)) {
    showError("the server runs on " + S.host + ": start it there (Start works for 127.0.0.1)");
    return;
  }
  if (S.serverAlive && S.proc.state !== "running") {
    status("proc", "a server already answers on port " + S.sendPort + ": using it");
    return;
  }
  S.serverWanted = true;
  outlet(OUT_NODE, ["start", S.serverCommand || "default"].concat(serveArgs()));
  status("proc", "starting patchflow serve");
}

function serverstop() {
  if (arguments.length > 0 && !isPress(argsArray(arguments))) {
    return;
  }
  S.serverWanted = false;
  outlet(OUT_NODE, "stop");
}

function serverrestart() {
  if (arguments.length > 0 && !isPress(argsArray(arguments))) {
    return;
  }
  S.serverWanted = true;
  outlet(OUT_NODE, ["restart", S.serverCommand || "default"].concat(serveArgs()));
}

/** A textedit's text ([route text] leaves "bang" for an empty field). */
function settingText(args) {
  var t = argsText(args).replace(/^\s+|\s+$/g, "");
  return (t === "text" || t === "bang") ? "" : t.replace(/^text\s+/, "");
}

function servercommand() {
  S.serverCommand = settingText(arguments);
  saveState();
}

function servermodel() {
  S.serverModel = settingText(arguments);
  saveState();
}

function serverplugin() {
  S.serverPlugin = settingText(arguments);
  saveState();
}

function serverauto(v) {
  var on = Number(v) ? 1 : 0;
  if (on === S.serverAuto) {
    return;
  }
  S.serverAuto = on;
  saveState();
}

/**
 * Reports from the node script: "state <stopped|starting|running|exited|failed> [detail...]",
 * "log <line...>" (the server's last output line), "error <text...>".
 */
function serverproc() {
  var a = argsArray(arguments);
  if (a.length === 0) {
    return;
  }
  var kind = String(a[0]);
  var rest = a.slice(1).join(" ");
  if (kind === "state") {
    var was = S.proc.state;
    S.proc.state = String(a[1]);
    if (S.proc.state === "running" && was !== "running") {
      S.helloAcked = false; // a new server process knows no reply ports yet: say hello again
      S.serverSearchS = null; // nor is its search budget known until it answers
      sendHello();
    }
    var detail = a.slice(2).join(" ");
    status("proc", "server process: " + S.proc.state + (detail ? " (" + detail + ")" : ""));
    if (S.proc.state === "failed" || (S.proc.state === "exited" && S.serverWanted)) {
      showError("patchflow serve " + S.proc.state + (detail ? ": " + detail : "")
        + (S.proc.log ? " - " + S.proc.log : ""));
    }
    updateLight();
  } else if (kind === "log") {
    S.proc.log = rest;
    status("proclog", rest);
  } else if (kind === "error") {
    showError("server process: " + rest);
  }
}

/** The node.script's own state (right outlet), e.g. "running 1". */
function nodestate() {
  var a = argsArray(arguments);
  if (String(a[0]) === "running") {
    S.nodeRunning = Number(a[1]) === 1;
  }
}
