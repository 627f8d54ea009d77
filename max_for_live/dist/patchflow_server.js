/*
 * patchflow_server.js - the [node.script] of the patchflow device: starts, watches, restarts and
 * stops `patchflow serve` on this computer, so that a musician needs no terminal.
 *
 * In Max (Node for Max) it talks to the device's [js] through max-api:
 *   in:  start <command|default> <serve args...>   start (or keep) the server with these arguments
 *        restart <command|default> <serve args...> stop, then start
 *        stop                                      stop it (also when the device is removed)
 *   out: state <stopped|starting|running|exited|failed> [detail...]
 *        log <the server's last output line>
 *        error <text>
 * "default" picks the patchflow command from defaultCommands() (per platform).
 *
 * In node (tests) require() it: ServerManager and the helpers work without Max, and bindMax()
 * wires a manager to any object with max-api's addHandler/outlet.
 */
"use strict";

const childProcess = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

/** Restarts after unexpected exits before giving up (counted within RESTART_WINDOW_MS). */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60000;
const RESTART_DELAY_MS = 1000;
/** How long a stopped server gets to exit after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 3000;
/** A server that has printed for this long without exiting counts as running. */
const STARTED_AFTER_MS = 1500;

/**
 * Where `patchflow` usually is, most likely first. Max starts node with a minimal PATH (on macOS
 * GUI apps do not see the shell's PATH), so the usual install places are listed explicitly.
 * @param {string} platform process.platform ("darwin", "win32", "linux").
 * @param {object} env environment variables.
 * @param {string} home the user's home folder.
 * @return {string[]}
 */
function defaultCommands(platform, env, home) {
  const e = env || {};
  const h = home || "";
  if (platform === "win32") {
    const out = [];
    const appData = e.APPDATA || path.win32.join(h, "AppData", "Roaming");
    const local = e.LOCALAPPDATA || path.win32.join(h, "AppData", "Local");
    for (const v of ["313", "312", "311", "310"]) {
      out.push(path.win32.join(appData, "Python", `Python${v}`, "Scripts", "patchflow.exe"));
      out.push(path.win32.join(local, "Programs", "Python", `Python${v}`, "Scripts", "patchflow.exe"));
    }
    out.push(path.win32.join(h, ".local", "bin", "patchflow.exe"));
    out.push("patchflow.exe");
    return out;
  }
  const out = [path.posix.join(h, ".local", "bin", "patchflow")];
  if (platform === "darwin") {
    out.push("/opt/homebrew/bin/patchflow", "/usr/local/bin/patchflow");
    for (const v of ["3.13", "3.12", "3.11", "3.10"]) {
      out.push(path.posix.join(h, "Library", "Python", v, "bin", "patchflow"));
      out.push(`/Library/Frameworks/Python.framework/Versions/${v}/bin/patchflow`);
    }
  } else {
    out.push("/usr/local/bin/patchflow", "/usr/bin/patchflow");
  }
  out.push(path.posix.join(h, "miniconda3", "bin", "patchflow"), path.posix.join(h, "anaconda3", "bin", "patchflow"));
  out.push("patchflow");
  return out;
}

/**
 * The command to run: the setting when it is not empty or "default", else the first default
 * that exists (else plain "patchflow", found on PATH if at all).
 */
function resolveCommand(setting, opts) {
  const o = opts || {};
  const s = String(setting || "").trim();
  if (s && s !== "default") {
    return s;
  }
  const exists = o.exists || ((p) => {
    try {
      return fs.statSync(p).isFile();
    } catch (e) {
      return false;
    }
  });
  const candidates = defaultCommands(o.platform || process.platform, o.env || process.env, o.home || os.homedir());
  for (const c of candidates) {
    if (path.isAbsolute(c) || path.win32.isAbsolute(c)) {
      if (exists(c)) {
        return c;
      }
    }
  }
  return candidates[candidates.length - 1];
}

/** The last non-empty line of some output text. */
function lastLine(text) {
  const lines = String(text).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return lines.length ? lines[lines.length - 1] : "";
}

/**
 * One `patchflow serve` child process: start, stop, restart, and restart after an unexpected
 * exit (at most MAX_RESTARTS within RESTART_WINDOW_MS). Reports through onState(state, detail)
 * and onLog(line).
 */
class ServerManager {
  constructor(opts) {
    const o = opts || {};
    this.spawn = o.spawn || childProcess.spawn;
    this.onState = o.onState || (() => {});
    this.onLog = o.onLog || (() => {});
    this.resolve = o.resolve || resolveCommand;
    this.restartDelayMs = o.restartDelayMs === undefined ? RESTART_DELAY_MS : o.restartDelayMs;
    this.startedAfterMs = o.startedAfterMs === undefined ? STARTED_AFTER_MS : o.startedAfterMs;
    this.stopGraceMs = o.stopGraceMs === undefined ? STOP_GRACE_MS : o.stopGraceMs;
    this.child = null;
    this.state = "stopped";
    this.wanted = false;
    this.command = "";
    this.args = [];
    this.restarts = [];
    this.lastLog = "";
    this.timers = new Set();
  }

  setState(state, detail) {
    this.state = state;
    this.onState(state, detail || "");
  }

  later(fn, ms) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  /** Start with this command setting and arguments (no-op when the same server runs). */
  start(commandSetting, args) {
    const command = this.resolve(commandSetting);
    const same = this.child && command === this.command && JSON.stringify(args) === JSON.stringify(this.args);
    this.wanted = true;
    if (same) {
      this.setState(this.state, "already running");
      return;
    }
    if (this.child) {
      this.restartWith(commandSetting, args);
      return;
    }
    this.command = command;
    this.args = args.slice();
    this.restarts = [];
    this.launch();
  }

  launch() {
    let child;
    this.setState("starting", [this.command].concat(this.args).join(" "));
    try {
      child = this.spawn(this.command, this.args, { stdio: ["ignore", "pipe", "pipe"], windowsHide: true });
    } catch (e) {
      this.wanted = false;
      this.setState("failed", `cannot run ${this.command}: ${e.message}`);
      return;
    }
    this.child = child;
    let buffered = "";
    const onData = (data) => {
      buffered = (buffered + String(data)).slice(-4096);
      const line = lastLine(buffered);
      if (line && line !== this.lastLog) {
        this.lastLog = line;
        this.onLog(line);
      }
    };
    if (child.stdout) {
      child.stdout.on("data", onData);
    }
    if (child.stderr) {
      child.stderr.on("data", onData);
    }
    const startedTimer = this.later(() => {
      if (this.child === child && this.state === "starting") {
        this.setState("running", `pid ${child.pid}`);
      }
    }, this.startedAfterMs);
    child.on("error", (err) => {
      clearTimeout(startedTimer);
      this.timers.delete(startedTimer);
      if (this.child === child) {
        this.child = null;
        this.wanted = false;
        this.setState("failed", `cannot run ${this.command}: ${err.code || err.message}` +
          " (set the patchflow command path in the device)");
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(startedTimer);
      this.timers.delete(startedTimer);
      if (this.child !== child) {
        return;
      }
      this.child = null;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (!this.wanted) {
        this.setState("stopped", how);
        return;
      }
      const now = Date.now();
      this.restarts = this.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
      if (this.restarts.length >= MAX_RESTARTS) {
        this.wanted = false;
        this.setState("failed", `exited (${how}) ${MAX_RESTARTS + 1} times: ${this.lastLog}`);
        return;
      }
      this.restarts.push(now);
      this.setState("exited", `${how}; restarting`);
      this.later(() => {
        if (this.wanted && !this.child) {
          this.launch();
        }
      }, this.restartDelayMs);
    });
  }

  /** Stop the server; resolves when the process has exited. */
  stop() {
    this.wanted = false;
    const child = this.child;
    if (!child) {
      if (this.state !== "stopped") {
        this.setState("stopped", "");
      }
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const kill = this.later(() => {
        try {
          child.kill("SIGKILL");
        } catch (e) {
          // already gone
        }
      }, this.stopGraceMs);
      child.once("exit", () => {
        clearTimeout(kill);
        this.timers.delete(kill);
        resolve();
      });
      try {
        child.kill("SIGTERM");
      } catch (e) {
        resolve();
      }
    });
  }

  restartWith(commandSetting, args) {
    return this.stop().then(() => this.start(commandSetting, args));
  }

  /** Kill at once (the device is being removed or Max quits) and cancel timers. */
  dispose() {
    this.wanted = false;
    for (const t of this.timers) {
      clearTimeout(t);
    }
    this.timers.clear();
    if (this.child) {
      try {
        this.child.kill("SIGKILL");
      } catch (e) {
        // already gone
      }
    }
  }
}

/** Connect a manager to max-api (or a stand-in with addHandler and outlet). */
function bindMax(maxApi, opts) {
  const manager = new ServerManager(Object.assign({}, opts, {
    onState: (state, detail) => maxApi.outlet("state", state, detail || ""),
    onLog: (line) => maxApi.outlet("log", line),
  }));
  const split = (atoms) => ({ command: String(atoms[0] || "default"), args: atoms.slice(1).map(String) });
  maxApi.addHandler("start", (...atoms) => {
    const a = split(atoms);
    manager.start(a.command, a.args);
  });
  maxApi.addHandler("restart", (...atoms) => {
    const a = split(atoms);
    manager.restartWith(a.command, a.args);
  });
  maxApi.addHandler("stop", () => manager.stop());
  return manager;
}

module.exports = { ServerManager, bindMax, defaultCommands, resolveCommand, lastLine, MAX_RESTARTS };

// In Max: wire to max-api, and take the server down with the device (Max ends this process when
// the device is deleted or the Set closes).
let maxApi = null;
try {
  maxApi = require("max-api"); // eslint-disable-line global-require
} catch (e) {
  maxApi = null;
}
if (maxApi) {
  const manager = bindMax(maxApi);
  const shutdown = () => {
    manager.dispose();
    process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  process.on("exit", () => manager.dispose());
  maxApi.outlet("state", "stopped", "");
}
