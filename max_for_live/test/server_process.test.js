"use strict";
// The device's [node.script] (src/patchflow_server.js): starting, watching, restarting and
// stopping the server as a real child process (a stand-in `patchflow` command, and the real
// `patchflow serve` when it is on PATH), the per-platform default command, and the max-api glue.

const test = require("node:test");
const assert = require("node:assert/strict");
const dgram = require("node:dgram");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const PF = require("../src/patchflow_core.js");
const { ServerManager, bindMax, defaultCommands, resolveCommand, lastLine, MAX_RESTARTS } = require("../src/patchflow_server.js");
const { waitFor } = require("../testing/max_env.js");

const FAKE_CLI = path.join(__dirname, "..", "testing", "fake_patchflow_cli.js");
const TIMEOUT = { timeout: 30000 };

/** A manager whose "command" is node running the fake CLI (a real child process). */
function fakeManager(events, opts) {
  return new ServerManager(Object.assign({
    resolve: () => process.execPath,
    onState: (state, detail) => events.push({ state, detail }),
    onLog: (line) => events.push({ log: line }),
    startedAfterMs: 200,
    restartDelayMs: 50,
    stopGraceMs: 2000,
  }, opts));
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return false;
  }
}

test("default command paths per platform, and the setting wins", () => {
  const mac = defaultCommands("darwin", {}, "/Users/me");
  assert.equal(mac[0], "/Users/me/.local/bin/patchflow");
  assert.ok(mac.includes("/opt/homebrew/bin/patchflow"));
  assert.ok(mac.includes("/Users/me/Library/Python/3.11/bin/patchflow"));
  assert.equal(mac[mac.length - 1], "patchflow");
  const win = defaultCommands("win32", { APPDATA: "C:\\Users\\me\\AppData\\Roaming" }, "C:\\Users\\me");
  assert.ok(win.includes("C:\\Users\\me\\AppData\\Roaming\\Python\\Python311\\Scripts\\patchflow.exe"));
  assert.equal(win[win.length - 1], "patchflow.exe");
  const exists = (p) => p === "/usr/local/bin/patchflow";
  assert.equal(resolveCommand("", { platform: "darwin", env: {}, home: "/Users/me", exists }), "/usr/local/bin/patchflow");
  assert.equal(resolveCommand("default", { platform: "darwin", env: {}, home: "/Users/me", exists: () => false }), "patchflow");
  assert.equal(resolveCommand("/my/venv/bin/patchflow", { exists: () => false }), "/my/venv/bin/patchflow");
  assert.equal(lastLine("a\nb\n\n  c  \n"), "c");
});

test("start, log, stop: a real child process", TIMEOUT, async () => {
  const events = [];
  const m = fakeManager(events);
  try {
    m.start("default", [FAKE_CLI, "serve", "--osc-port", "9999"]);
    assert.equal(m.state, "starting");
    await waitFor(() => m.state === "running", 5000, "running");
    await waitFor(() => events.some((e) => e.log === "ready: listening for OSC" || /status/.test(e.log || "")), 5000, "log");
    const pid = m.child.pid;
    assert.ok(alive(pid));
    m.start("default", [FAKE_CLI, "serve", "--osc-port", "9999"]); // same server: kept
    assert.equal(m.child.pid, pid);
    await m.stop();
    assert.equal(m.state, "stopped");
    assert.equal(m.child, null);
    assert.ok(!alive(pid), "the process is gone");
    assert.ok(events.some((e) => e.log === "stopping"));
  } finally {
    m.dispose();
  }
});

test("a server that dies is restarted, then given up on with its last line", TIMEOUT, async () => {
  const events = [];
  const m = fakeManager(events);
  try {
    m.start("default", [FAKE_CLI, "serve", "--die-after", "300"]);
    await waitFor(() => events.some((e) => e.state === "exited"), 5000, "an exit");
    await waitFor(() => m.state === "failed", 15000, "giving up");
    assert.equal(events.filter((e) => e.state === "exited").length, MAX_RESTARTS);
    assert.match(events[events.length - 1].detail, /crashed on purpose/);
    assert.equal(m.child, null);
  } finally {
    m.dispose();
  }
});

test("restart with new arguments replaces the process; a bad command fails clearly", TIMEOUT, async () => {
  const events = [];
  const m = fakeManager(events);
  try {
    m.start("default", [FAKE_CLI, "serve", "--model", "a"]);
    await waitFor(() => m.state === "running", 5000, "running");
    const pid = m.child.pid;
    await m.restartWith("default", [FAKE_CLI, "serve", "--model", "b"]);
    await waitFor(() => m.state === "running" && m.child && m.child.pid !== pid, 5000, "the new process");
    assert.ok(!alive(pid));
    await m.stop();
  } finally {
    m.dispose();
  }
  const failed = [];
  const bad = new ServerManager({ onState: (s, d) => failed.push([s, d]), startedAfterMs: 200 });
  try {
    bad.start("/nonexistent/patchflow", ["serve"]);
    await waitFor(() => bad.state === "failed", 5000, "failed");
    assert.match(failed[failed.length - 1][1], /cannot run \/nonexistent\/patchflow: ENOENT .*command path/);
  } finally {
    bad.dispose();
  }
});

test("max-api glue: start/stop handlers and state/log outlets", TIMEOUT, async () => {
  const handlers = {};
  const out = [];
  const maxApi = { addHandler: (name, fn) => { handlers[name] = fn; }, outlet: (...a) => out.push(a) };
  const m = bindMax(maxApi, { resolve: () => process.execPath, startedAfterMs: 200 });
  try {
    handlers.start("default", FAKE_CLI, "serve", "--osc-port", 9130);
    await waitFor(() => out.some((a) => a[0] === "state" && a[1] === "running"), 5000, "running");
    await waitFor(() => out.some((a) => a[0] === "log"), 5000, "a log line");
    await handlers.stop();
    assert.deepEqual(out[out.length - 1].slice(0, 2), ["state", "stopped"]);
  } finally {
    m.dispose();
  }
});

// The real server, when the patchflow command is on PATH: started by the manager, it answers a
// ping over OSC, and it is gone after stop.
const HAVE_PATCHFLOW = !spawnSync("patchflow", ["--help"], { encoding: "utf8", timeout: 60000 }).error;

test("the real `patchflow serve` started and stopped by the node script", { timeout: 120000 }, async (t) => {
  if (!HAVE_PATCHFLOW) {
    t.skip("patchflow is not on PATH");
    return;
  }
  const sock = dgram.createSocket("udp4");
  await new Promise((resolve) => sock.bind(0, "127.0.0.1", resolve));
  const replyPort = sock.address().port;
  const probe = dgram.createSocket("udp4");
  await new Promise((resolve) => probe.bind(0, "127.0.0.1", resolve));
  const oscPort = probe.address().port;
  probe.close();
  let pong = null;
  sock.on("message", (msg) => {
    const m = PF.oscDecode(msg);
    if (m.address === PF.ADDR.pong) {
      pong = m.args;
    }
  });
  const events = [];
  const m = new ServerManager({ onState: (s, d) => events.push([s, d]), onLog: (l) => events.push(["log", l]) });
  let timer = null;
  try {
    m.start("patchflow", ["serve", "--osc-port", String(oscPort), "--reply-port", String(replyPort), "--no-zmq"]);
    timer = setInterval(() => sock.send(Buffer.from(PF.oscEncode(PF.ADDR.ping, [7])), oscPort, "127.0.0.1"), 250);
    await waitFor(() => pong !== null || m.state === "failed", 90000, "a pong from patchflow serve");
    assert.notEqual(m.state, "failed", JSON.stringify(events.slice(-5)));
    assert.equal(pong[0], 7);
    const pid = m.child.pid;
    await m.stop();
    assert.ok(!alive(pid));
    assert.equal(m.state, "stopped");
  } finally {
    clearInterval(timer);
    m.dispose();
    sock.close();
  }
});
