#!/usr/bin/env node
/*
 * Write a device mapping file from a patchflow synth spec (src/patchflow/specs/*.json).
 *
 *   node max_for_live/tools/mapping_from_spec.js SPEC.json > mapping.json
 *
 * Every parameter with a "plugin_name" is mapped to the Live parameter of that name; when it also
 * has a "raw_range", 0..1 from the model spans that part of the plug-in's raw 0..1 range (Live
 * shows a plug-in parameter's raw value). Note properties (pitch, note on/off) are left out, and
 * parameters without a plugin name are left to the device's name matching.
 */
"use strict";

const fs = require("node:fs");
const PF = require("../src/patchflow_core.js");

/**
 * @param {object} spec a parsed spec ({synth, params: [{name, plugin_name?, raw_range?, note_field?}]})
 * @return {object<string, string|{live: string, range: number[]}>}
 */
function mappingFromSpec(spec) {
  if (!spec || !Array.isArray(spec.params)) {
    throw new Error("not a patchflow spec: no \"params\" list");
  }
  const mapping = {};
  for (const p of spec.params) {
    if (p.note_field || !p.plugin_name) {
      continue;
    }
    mapping[p.name] = Array.isArray(p.raw_range) && p.raw_range.length === 2
      ? { live: p.plugin_name, range: [Number(p.raw_range[0]), Number(p.raw_range[1])] }
      : p.plugin_name;
  }
  return mapping;
}

function main(argv) {
  if (argv.length !== 1) {
    process.stderr.write("usage: node mapping_from_spec.js SPEC.json > mapping.json\n");
    return 2;
  }
  const spec = JSON.parse(fs.readFileSync(argv[0], "utf8"));
  const mapping = mappingFromSpec(spec);
  process.stdout.write(PF.formatMappingText(mapping, spec.synth || "", spec.synth || ""));
  if (Object.keys(mapping).length === 0) {
    process.stderr.write("warning: no parameter in this spec has a plugin_name; the device will match by name\n");
  }
  return 0;
}

module.exports = { mappingFromSpec };

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
