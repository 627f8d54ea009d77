{
	"patcher": {
		"fileversion": 1,
		"appversion": {
			"major": 8,
			"minor": 5,
			"revision": 5,
			"architecture": "x64",
			"modernui": 1
		},
		"classnamespace": "box",
		"rect": [
			80,
			100,
			1560,
			1000
		],
		"bglocked": 0,
		"openinpresentation": 1,
		"default_fontsize": 10,
		"default_fontface": 0,
		"default_fontname": "Arial Bold",
		"gridonopen": 1,
		"gridsize": [
			8,
			8
		],
		"gridsnaponopen": 1,
		"objectsnaponopen": 1,
		"statusbarvisible": 2,
		"toolbarvisible": 1,
		"lefttoolbarpinned": 0,
		"toptoolbarpinned": 0,
		"righttoolbarpinned": 0,
		"bottomtoolbarpinned": 0,
		"toolbars_unpinned_last_save": 0,
		"tallnewobj": 0,
		"boxanimatetime": 200,
		"enablehscroll": 1,
		"enablevscroll": 1,
		"devicewidth": 0,
		"description": "patchflow: capture a sound, match it to a synth patch, latent macros",
		"digest": "",
		"tags": "",
		"style": "",
		"subpatcher_template": "",
		"assistshowspatchername": 0,
		"boxes": [
			{
				"box": {
					"id": "obj-js",
					"maxclass": "newobj",
					"patching_rect": [
						520,
						470,
						315,
						22
					],
					"text": "js patchflow_device.js ---pf_cap ---pf_file",
					"saved_object_attributes": {
						"filename": "patchflow_device.js",
						"parameter_enable": 0
					},
					"numinlets": 1,
					"numoutlets": 9,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-2",
					"maxclass": "comment",
					"patching_rect": [
						20,
						20,
						420,
						20
					],
					"text": "audio passes through; record~ captures into a device-local buffer",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-plugin",
					"maxclass": "newobj",
					"patching_rect": [
						20,
						50,
						63,
						22
					],
					"text": "plugin~",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"signal",
						"signal"
					]
				}
			},
			{
				"box": {
					"id": "obj-plugout",
					"maxclass": "newobj",
					"patching_rect": [
						20,
						170,
						70,
						22
					],
					"text": "plugout~",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"signal",
						"signal"
					]
				}
			},
			{
				"box": {
					"id": "obj-record",
					"maxclass": "newobj",
					"patching_rect": [
						120,
						110,
						147,
						22
					],
					"text": "record~ ---pf_cap 2",
					"numinlets": 4,
					"numoutlets": 1,
					"outlettype": [
						"signal"
					]
				}
			},
			{
				"box": {
					"id": "obj-capture-buffer",
					"maxclass": "newobj",
					"patching_rect": [
						120,
						170,
						182,
						22
					],
					"text": "buffer~ ---pf_cap 4000 2",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"float",
						"bang"
					]
				}
			},
			{
				"box": {
					"id": "obj-thisdevice",
					"maxclass": "newobj",
					"patching_rect": [
						320,
						50,
						119,
						22
					],
					"text": "live.thisdevice",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"bang",
						"int",
						"int"
					]
				}
			},
			{
				"box": {
					"id": "obj-8",
					"maxclass": "newobj",
					"patching_rect": [
						320,
						90,
						49,
						22
					],
					"text": "t b b",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"bang",
						"bang"
					]
				}
			},
			{
				"box": {
					"id": "obj-9",
					"maxclass": "newobj",
					"patching_rect": [
						400,
						130,
						77,
						22
					],
					"text": "dspstate~",
					"numinlets": 1,
					"numoutlets": 4,
					"outlettype": [
						"int",
						"float",
						"int",
						"int"
					]
				}
			},
			{
				"box": {
					"id": "obj-10",
					"maxclass": "newobj",
					"patching_rect": [
						400,
						170,
						140,
						22
					],
					"text": "prepend samplerate",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-11",
					"maxclass": "message",
					"patching_rect": [
						320,
						130,
						40,
						22
					],
					"text": "init",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-node",
					"maxclass": "newobj",
					"patching_rect": [
						1100,
						420,
						385,
						22
					],
					"text": "node.script patchflow_server.js @autostart 1 @watch 0",
					"saved_object_attributes": {
						"autostart": 1,
						"defer": 0,
						"watch": 0
					},
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-13",
					"maxclass": "newobj",
					"patching_rect": [
						1100,
						460,
						140,
						22
					],
					"text": "prepend serverproc",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-14",
					"maxclass": "newobj",
					"patching_rect": [
						1240,
						460,
						133,
						22
					],
					"text": "prepend nodestate",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-udpsend",
					"maxclass": "newobj",
					"patching_rect": [
						520,
						560,
						168,
						22
					],
					"text": "udpsend 127.0.0.1 9130",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-udpreceive",
					"maxclass": "newobj",
					"patching_rect": [
						700,
						380,
						119,
						22
					],
					"text": "udpreceive 9131",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-state",
					"maxclass": "newobj",
					"patching_rect": [
						880,
						380,
						189,
						22
					],
					"text": "pattr @parameter_enable 1",
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "patchflow state",
							"parameter_shortname": "state",
							"parameter_invisible": 1,
							"parameter_type": 3
						}
					},
					"varname": "pf_state",
					"saved_object_attributes": {
						"parameter_enable": 1,
						"parameter_mappable": 0
					},
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-18",
					"maxclass": "newobj",
					"patching_rect": [
						880,
						420,
						119,
						22
					],
					"text": "prepend restore",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-19",
					"maxclass": "comment",
					"patching_rect": [
						20,
						250,
						80,
						20
					],
					"text": "patchflow",
					"presentation": 1,
					"presentation_rect": [
						4,
						0,
						68,
						16
					],
					"fontface": 1,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-20",
					"maxclass": "live.text",
					"patching_rect": [
						20,
						280,
						64,
						30
					],
					"presentation": 1,
					"presentation_rect": [
						4,
						20,
						64,
						30
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Match",
							"parameter_shortname": "Match",
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1,
							"parameter_type": 2,
							"parameter_invisible": 0,
							"parameter_info": "Record the input for Length seconds and match it."
						}
					},
					"varname": "Match",
					"mode": 0,
					"text": "Match",
					"texton": "Match",
					"annotation": "Record the input for Length seconds and match it.",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-21",
					"maxclass": "newobj",
					"patching_rect": [
						20,
						320,
						147,
						22
					],
					"text": "prepend matchbutton",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-22",
					"maxclass": "comment",
					"patching_rect": [
						100,
						270,
						70,
						20
					],
					"text": "Length (s)",
					"presentation": 1,
					"presentation_rect": [
						76,
						18,
						64,
						16
					],
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-23",
					"maxclass": "live.numbox",
					"patching_rect": [
						100,
						290,
						44,
						15
					],
					"presentation": 1,
					"presentation_rect": [
						76,
						36,
						44,
						15
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Length",
							"parameter_shortname": "Length",
							"parameter_type": 0,
							"parameter_mmin": 0.5,
							"parameter_mmax": 4,
							"parameter_initial_enable": 1,
							"parameter_initial": [
								2
							],
							"parameter_unitstyle": 1,
							"parameter_invisible": 0,
							"parameter_info": "Capture length in seconds (0.5 to 4)."
						}
					},
					"varname": "Length",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					]
				}
			},
			{
				"box": {
					"id": "obj-24",
					"maxclass": "newobj",
					"patching_rect": [
						100,
						320,
						161,
						22
					],
					"text": "prepend capturelength",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-25",
					"maxclass": "live.drop",
					"patching_rect": [
						20,
						360,
						136,
						44
					],
					"presentation": 1,
					"presentation_rect": [
						4,
						56,
						136,
						42
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Audio File",
							"parameter_shortname": "File",
							"parameter_type": 4,
							"parameter_invisible": 1
						}
					},
					"varname": "Audio File",
					"legend": "Drop an audio file",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-26",
					"maxclass": "newobj",
					"patching_rect": [
						20,
						420,
						126,
						22
					],
					"text": "prepend dropfile",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-file-buffer",
					"maxclass": "newobj",
					"patching_rect": [
						180,
						420,
						140,
						22
					],
					"text": "buffer~ ---pf_file",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"float",
						"bang"
					]
				}
			},
			{
				"box": {
					"id": "obj-28",
					"maxclass": "newobj",
					"patching_rect": [
						180,
						460,
						49,
						22
					],
					"text": "t b b",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"bang",
						"bang"
					]
				}
			},
			{
				"box": {
					"id": "obj-29",
					"maxclass": "newobj",
					"patching_rect": [
						240,
						500,
						126,
						22
					],
					"text": "info~ ---pf_file",
					"numinlets": 1,
					"numoutlets": 10,
					"outlettype": [
						"float",
						"list",
						"float",
						"float",
						"float",
						"float",
						"float",
						"",
						"int",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-30",
					"maxclass": "newobj",
					"patching_rect": [
						240,
						540,
						112,
						22
					],
					"text": "prepend filesr",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-31",
					"maxclass": "message",
					"patching_rect": [
						180,
						540,
						82,
						22
					],
					"text": "fileloaded",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-32",
					"maxclass": "comment",
					"patching_rect": [
						20,
						620,
						60,
						20
					],
					"text": "Target",
					"presentation": 1,
					"presentation_rect": [
						150,
						0,
						60,
						16
					],
					"fontface": 1,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-33",
					"maxclass": "umenu",
					"patching_rect": [
						20,
						650,
						120,
						20
					],
					"presentation": 1,
					"presentation_rect": [
						150,
						18,
						118,
						20
					],
					"varname": "track menu",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"int",
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-34",
					"maxclass": "newobj",
					"patching_rect": [
						20,
						680,
						133,
						22
					],
					"text": "prepend picktrack",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-35",
					"maxclass": "umenu",
					"patching_rect": [
						150,
						650,
						160,
						20
					],
					"presentation": 1,
					"presentation_rect": [
						150,
						40,
						206,
						20
					],
					"varname": "device menu",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"int",
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-36",
					"maxclass": "newobj",
					"patching_rect": [
						150,
						680,
						140,
						22
					],
					"text": "prepend pickdevice",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-37",
					"maxclass": "live.text",
					"patching_rect": [
						320,
						650,
						40,
						16
					],
					"presentation": 1,
					"presentation_rect": [
						272,
						20,
						40,
						16
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Pick",
							"parameter_shortname": "Pick",
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1,
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_info": "Then click the synth's title bar or one of its controls."
						}
					},
					"varname": "Pick",
					"mode": 0,
					"text": "Pick",
					"texton": "Pick",
					"annotation": "Then click the synth's title bar or one of its controls.",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-38",
					"maxclass": "newobj",
					"patching_rect": [
						320,
						680,
						119,
						22
					],
					"text": "prepend pickarm",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-39",
					"maxclass": "live.text",
					"patching_rect": [
						370,
						650,
						44,
						16
					],
					"presentation": 1,
					"presentation_rect": [
						316,
						20,
						40,
						16
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Refresh",
							"parameter_shortname": "Refresh",
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1,
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_info": "Re-read the tracks and the target's parameters."
						}
					},
					"varname": "Refresh",
					"mode": 0,
					"text": "Refresh",
					"texton": "Refresh",
					"annotation": "Re-read the tracks and the target's parameters.",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-40",
					"maxclass": "newobj",
					"patching_rect": [
						370,
						680,
						112,
						22
					],
					"text": "prepend rescan",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-41",
					"maxclass": "comment",
					"patching_rect": [
						20,
						720,
						160,
						20
					],
					"text": "Mapping (model -> Live)",
					"presentation": 1,
					"presentation_rect": [
						150,
						80,
						160,
						16
					],
					"fontface": 1,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-42",
					"maxclass": "umenu",
					"patching_rect": [
						20,
						750,
						200,
						20
					],
					"presentation": 1,
					"presentation_rect": [
						150,
						97,
						206,
						20
					],
					"varname": "model menu",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"int",
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-43",
					"maxclass": "newobj",
					"patching_rect": [
						20,
						780,
						140,
						22
					],
					"text": "prepend modelparam",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-44",
					"maxclass": "umenu",
					"patching_rect": [
						230,
						750,
						200,
						20
					],
					"presentation": 1,
					"presentation_rect": [
						150,
						119,
						206,
						20
					],
					"varname": "live menu",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"int",
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-45",
					"maxclass": "newobj",
					"patching_rect": [
						230,
						780,
						133,
						22
					],
					"text": "prepend liveparam",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-46",
					"maxclass": "live.text",
					"patching_rect": [
						20,
						820,
						40,
						16
					],
					"presentation": 1,
					"presentation_rect": [
						150,
						143,
						40,
						16
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Auto Map",
							"parameter_shortname": "Auto",
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1,
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_info": "Forget manual mapping edits and match by name."
						}
					},
					"varname": "Auto Map",
					"mode": 0,
					"text": "Auto",
					"texton": "Auto",
					"annotation": "Forget manual mapping edits and match by name.",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-47",
					"maxclass": "newobj",
					"patching_rect": [
						20,
						850,
						119,
						22
					],
					"text": "prepend automap",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-48",
					"maxclass": "live.text",
					"patching_rect": [
						70,
						820,
						40,
						16
					],
					"presentation": 1,
					"presentation_rect": [
						194,
						143,
						40,
						16
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Load Map",
							"parameter_shortname": "Load",
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1,
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_info": "Load a mapping file (JSON)."
						}
					},
					"varname": "Load Map",
					"mode": 0,
					"text": "Load",
					"texton": "Load",
					"annotation": "Load a mapping file (JSON).",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-49",
					"maxclass": "newobj",
					"patching_rect": [
						70,
						850,
						161,
						22
					],
					"text": "prepend loadmapbutton",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-50",
					"maxclass": "live.text",
					"patching_rect": [
						120,
						820,
						40,
						16
					],
					"presentation": 1,
					"presentation_rect": [
						238,
						143,
						40,
						16
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Save Map",
							"parameter_shortname": "Save",
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1,
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_info": "Save the current mapping as a JSON file."
						}
					},
					"varname": "Save Map",
					"mode": 0,
					"text": "Save",
					"texton": "Save",
					"annotation": "Save the current mapping as a JSON file.",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-51",
					"maxclass": "newobj",
					"patching_rect": [
						120,
						850,
						161,
						22
					],
					"text": "prepend savemapbutton",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-52",
					"maxclass": "newobj",
					"patching_rect": [
						230,
						880,
						84,
						22
					],
					"text": "opendialog",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"bang"
					]
				}
			},
			{
				"box": {
					"id": "obj-53",
					"maxclass": "newobj",
					"patching_rect": [
						230,
						910,
						119,
						22
					],
					"text": "prepend readmap",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-54",
					"maxclass": "newobj",
					"patching_rect": [
						330,
						880,
						84,
						22
					],
					"text": "savedialog",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						"bang"
					]
				}
			},
			{
				"box": {
					"id": "obj-55",
					"maxclass": "newobj",
					"patching_rect": [
						330,
						910,
						126,
						22
					],
					"text": "prepend writemap",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-56",
					"maxclass": "comment",
					"patching_rect": [
						520,
						620,
						60,
						20
					],
					"text": "Macros",
					"presentation": 1,
					"presentation_rect": [
						366,
						0,
						60,
						16
					],
					"fontface": 1,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-57",
					"maxclass": "live.dial",
					"patching_rect": [
						520,
						650,
						44,
						48
					],
					"presentation": 1,
					"presentation_rect": [
						366,
						16,
						44,
						48
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Macro 1",
							"parameter_shortname": "M1",
							"parameter_type": 0,
							"parameter_mmin": 0,
							"parameter_mmax": 1,
							"parameter_initial_enable": 1,
							"parameter_initial": [
								0.5
							],
							"parameter_unitstyle": 1,
							"parameter_invisible": 0,
							"parameter_info": "Latent macro 1: 0.5 is the matched patch."
						}
					},
					"varname": "Macro 1",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					]
				}
			},
			{
				"box": {
					"id": "obj-58",
					"maxclass": "newobj",
					"patching_rect": [
						520,
						710,
						119,
						22
					],
					"text": "prepend macro 1",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-59",
					"maxclass": "live.dial",
					"patching_rect": [
						580,
						650,
						44,
						48
					],
					"presentation": 1,
					"presentation_rect": [
						416,
						16,
						44,
						48
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Macro 2",
							"parameter_shortname": "M2",
							"parameter_type": 0,
							"parameter_mmin": 0,
							"parameter_mmax": 1,
							"parameter_initial_enable": 1,
							"parameter_initial": [
								0.5
							],
							"parameter_unitstyle": 1,
							"parameter_invisible": 0,
							"parameter_info": "Latent macro 2: 0.5 is the matched patch."
						}
					},
					"varname": "Macro 2",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					]
				}
			},
			{
				"box": {
					"id": "obj-60",
					"maxclass": "newobj",
					"patching_rect": [
						580,
						710,
						119,
						22
					],
					"text": "prepend macro 2",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-61",
					"maxclass": "live.dial",
					"patching_rect": [
						640,
						650,
						44,
						48
					],
					"presentation": 1,
					"presentation_rect": [
						466,
						16,
						44,
						48
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Macro 3",
							"parameter_shortname": "M3",
							"parameter_type": 0,
							"parameter_mmin": 0,
							"parameter_mmax": 1,
							"parameter_initial_enable": 1,
							"parameter_initial": [
								0.5
							],
							"parameter_unitstyle": 1,
							"parameter_invisible": 0,
							"parameter_info": "Latent macro 3: 0.5 is the matched patch."
						}
					},
					"varname": "Macro 3",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					]
				}
			},
			{
				"box": {
					"id": "obj-62",
					"maxclass": "newobj",
					"patching_rect": [
						640,
						710,
						119,
						22
					],
					"text": "prepend macro 3",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-63",
					"maxclass": "live.dial",
					"patching_rect": [
						700,
						650,
						44,
						48
					],
					"presentation": 1,
					"presentation_rect": [
						516,
						16,
						44,
						48
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Macro 4",
							"parameter_shortname": "M4",
							"parameter_type": 0,
							"parameter_mmin": 0,
							"parameter_mmax": 1,
							"parameter_initial_enable": 1,
							"parameter_initial": [
								0.5
							],
							"parameter_unitstyle": 1,
							"parameter_invisible": 0,
							"parameter_info": "Latent macro 4: 0.5 is the matched patch."
						}
					},
					"varname": "Macro 4",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					]
				}
			},
			{
				"box": {
					"id": "obj-64",
					"maxclass": "newobj",
					"patching_rect": [
						700,
						710,
						119,
						22
					],
					"text": "prepend macro 4",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-65",
					"maxclass": "live.dial",
					"patching_rect": [
						760,
						650,
						44,
						48
					],
					"presentation": 1,
					"presentation_rect": [
						366,
						68,
						44,
						48
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Macro 5",
							"parameter_shortname": "M5",
							"parameter_type": 0,
							"parameter_mmin": 0,
							"parameter_mmax": 1,
							"parameter_initial_enable": 1,
							"parameter_initial": [
								0.5
							],
							"parameter_unitstyle": 1,
							"parameter_invisible": 0,
							"parameter_info": "Latent macro 5: 0.5 is the matched patch."
						}
					},
					"varname": "Macro 5",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					]
				}
			},
			{
				"box": {
					"id": "obj-66",
					"maxclass": "newobj",
					"patching_rect": [
						760,
						710,
						119,
						22
					],
					"text": "prepend macro 5",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-67",
					"maxclass": "live.dial",
					"patching_rect": [
						820,
						650,
						44,
						48
					],
					"presentation": 1,
					"presentation_rect": [
						416,
						68,
						44,
						48
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Macro 6",
							"parameter_shortname": "M6",
							"parameter_type": 0,
							"parameter_mmin": 0,
							"parameter_mmax": 1,
							"parameter_initial_enable": 1,
							"parameter_initial": [
								0.5
							],
							"parameter_unitstyle": 1,
							"parameter_invisible": 0,
							"parameter_info": "Latent macro 6: 0.5 is the matched patch."
						}
					},
					"varname": "Macro 6",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					]
				}
			},
			{
				"box": {
					"id": "obj-68",
					"maxclass": "newobj",
					"patching_rect": [
						820,
						710,
						119,
						22
					],
					"text": "prepend macro 6",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-69",
					"maxclass": "live.dial",
					"patching_rect": [
						880,
						650,
						44,
						48
					],
					"presentation": 1,
					"presentation_rect": [
						466,
						68,
						44,
						48
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Macro 7",
							"parameter_shortname": "M7",
							"parameter_type": 0,
							"parameter_mmin": 0,
							"parameter_mmax": 1,
							"parameter_initial_enable": 1,
							"parameter_initial": [
								0.5
							],
							"parameter_unitstyle": 1,
							"parameter_invisible": 0,
							"parameter_info": "Latent macro 7: 0.5 is the matched patch."
						}
					},
					"varname": "Macro 7",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					]
				}
			},
			{
				"box": {
					"id": "obj-70",
					"maxclass": "newobj",
					"patching_rect": [
						880,
						710,
						119,
						22
					],
					"text": "prepend macro 7",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-71",
					"maxclass": "live.dial",
					"patching_rect": [
						940,
						650,
						44,
						48
					],
					"presentation": 1,
					"presentation_rect": [
						516,
						68,
						44,
						48
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Macro 8",
							"parameter_shortname": "M8",
							"parameter_type": 0,
							"parameter_mmin": 0,
							"parameter_mmax": 1,
							"parameter_initial_enable": 1,
							"parameter_initial": [
								0.5
							],
							"parameter_unitstyle": 1,
							"parameter_invisible": 0,
							"parameter_info": "Latent macro 8: 0.5 is the matched patch."
						}
					},
					"varname": "Macro 8",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					]
				}
			},
			{
				"box": {
					"id": "obj-72",
					"maxclass": "newobj",
					"patching_rect": [
						940,
						710,
						119,
						22
					],
					"text": "prepend macro 8",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-73",
					"maxclass": "live.dial",
					"patching_rect": [
						1000,
						650,
						44,
						48
					],
					"presentation": 1,
					"presentation_rect": [
						568,
						42,
						44,
						48
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Morph",
							"parameter_shortname": "Morph",
							"parameter_type": 0,
							"parameter_mmin": 0,
							"parameter_mmax": 1,
							"parameter_initial_enable": 1,
							"parameter_initial": [
								1
							],
							"parameter_unitstyle": 1,
							"parameter_invisible": 0,
							"parameter_info": "0 = the previous match, 1 = the last match."
						}
					},
					"varname": "Morph",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					]
				}
			},
			{
				"box": {
					"id": "obj-74",
					"maxclass": "newobj",
					"patching_rect": [
						1000,
						710,
						105,
						22
					],
					"text": "prepend morph",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-75",
					"maxclass": "comment",
					"patching_rect": [
						1100,
						20,
						60,
						20
					],
					"text": "Server",
					"presentation": 1,
					"presentation_rect": [
						624,
						0,
						60,
						16
					],
					"fontface": 1,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-76",
					"maxclass": "textedit",
					"patching_rect": [
						1100,
						50,
						100,
						20
					],
					"presentation": 1,
					"presentation_rect": [
						624,
						18,
						96,
						18
					],
					"varname": "host",
					"text": "127.0.0.1",
					"keymode": 1,
					"lines": 1,
					"parameter_enable": 0,
					"numinlets": 1,
					"numoutlets": 4,
					"outlettype": [
						"",
						"int",
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-77",
					"maxclass": "comment",
					"patching_rect": [
						1210,
						50,
						140,
						20
					],
					"text": "< host; send, reply port",
					"presentation": 1,
					"presentation_rect": [
						722,
						19,
						98,
						16
					],
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-78",
					"maxclass": "newobj",
					"patching_rect": [
						1100,
						80,
						84,
						22
					],
					"text": "route text",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-79",
					"maxclass": "newobj",
					"patching_rect": [
						1100,
						110,
						98,
						22
					],
					"text": "prepend host",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-80",
					"maxclass": "live.numbox",
					"patching_rect": [
						1100,
						150,
						50,
						15
					],
					"presentation": 1,
					"presentation_rect": [
						624,
						38,
						48,
						15
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Send Port",
							"parameter_shortname": "Send",
							"parameter_type": 0,
							"parameter_mmin": 1024,
							"parameter_mmax": 65535,
							"parameter_initial_enable": 1,
							"parameter_initial": [
								9130
							],
							"parameter_unitstyle": 0,
							"parameter_invisible": 1,
							"parameter_info": "Send Port"
						}
					},
					"varname": "Send Port",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					]
				}
			},
			{
				"box": {
					"id": "obj-81",
					"maxclass": "newobj",
					"patching_rect": [
						1100,
						180,
						126,
						22
					],
					"text": "prepend sendport",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-82",
					"maxclass": "live.numbox",
					"patching_rect": [
						1160,
						150,
						50,
						15
					],
					"presentation": 1,
					"presentation_rect": [
						676,
						38,
						48,
						15
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Reply Port",
							"parameter_shortname": "Reply",
							"parameter_type": 0,
							"parameter_mmin": 0,
							"parameter_mmax": 65535,
							"parameter_initial_enable": 1,
							"parameter_initial": [
								0
							],
							"parameter_unitstyle": 0,
							"parameter_invisible": 1,
							"parameter_info": "Reply Port (0: automatic, one port per instance)"
						}
					},
					"varname": "Reply Port",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					]
				}
			},
			{
				"box": {
					"id": "obj-83",
					"maxclass": "newobj",
					"patching_rect": [
						1160,
						180,
						133,
						22
					],
					"text": "prepend replyport",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-84",
					"maxclass": "live.menu",
					"patching_rect": [
						1220,
						150,
						60,
						15
					],
					"presentation": 1,
					"presentation_rect": [
						728,
						38,
						60,
						15
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Transport",
							"parameter_shortname": "Transport",
							"parameter_type": 2,
							"parameter_enum": [
								"auto",
								"file",
								"chunks"
							],
							"parameter_mmax": 2,
							"parameter_invisible": 1,
							"parameter_info": "auto: file path when the server is on this computer, else chunked OSC."
						}
					},
					"varname": "Transport",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						"float"
					]
				}
			},
			{
				"box": {
					"id": "obj-85",
					"maxclass": "newobj",
					"patching_rect": [
						1220,
						180,
						133,
						22
					],
					"text": "prepend transport",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-86",
					"maxclass": "comment",
					"patching_rect": [
						1400,
						20,
						60,
						20
					],
					"text": "Match",
					"presentation": 1,
					"presentation_rect": [
						830,
						0,
						40,
						16
					],
					"fontface": 1,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-87",
					"maxclass": "live.text",
					"patching_rect": [
						1400,
						200,
						40,
						16
					],
					"presentation": 1,
					"presentation_rect": [
						830,
						102,
						26,
						16
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Candidate A",
							"parameter_shortname": "A",
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1,
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_info": "Audition candidate A (one undo step)."
						}
					},
					"varname": "Candidate A",
					"mode": 0,
					"text": "A",
					"texton": "A",
					"annotation": "Audition candidate A (one undo step).",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-88",
					"maxclass": "newobj",
					"patching_rect": [
						1400,
						230,
						147,
						22
					],
					"text": "prepend candidate 0",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-89",
					"maxclass": "live.text",
					"patching_rect": [
						1444,
						200,
						40,
						16
					],
					"presentation": 1,
					"presentation_rect": [
						858,
						102,
						26,
						16
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Candidate B",
							"parameter_shortname": "B",
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1,
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_info": "Audition candidate B (one undo step)."
						}
					},
					"varname": "Candidate B",
					"mode": 0,
					"text": "B",
					"texton": "B",
					"annotation": "Audition candidate B (one undo step).",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-90",
					"maxclass": "newobj",
					"patching_rect": [
						1444,
						230,
						147,
						22
					],
					"text": "prepend candidate 1",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-91",
					"maxclass": "live.text",
					"patching_rect": [
						1488,
						200,
						40,
						16
					],
					"presentation": 1,
					"presentation_rect": [
						886,
						102,
						26,
						16
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Candidate C",
							"parameter_shortname": "C",
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1,
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_info": "Audition candidate C (one undo step)."
						}
					},
					"varname": "Candidate C",
					"mode": 0,
					"text": "C",
					"texton": "C",
					"annotation": "Audition candidate C (one undo step).",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-92",
					"maxclass": "newobj",
					"patching_rect": [
						1488,
						230,
						147,
						22
					],
					"text": "prepend candidate 2",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-93",
					"maxclass": "live.text",
					"patching_rect": [
						1532,
						200,
						40,
						16
					],
					"presentation": 1,
					"presentation_rect": [
						914,
						102,
						26,
						16
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Candidate D",
							"parameter_shortname": "D",
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1,
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_info": "Audition candidate D (one undo step)."
						}
					},
					"varname": "Candidate D",
					"mode": 0,
					"text": "D",
					"texton": "D",
					"annotation": "Audition candidate D (one undo step).",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-94",
					"maxclass": "newobj",
					"patching_rect": [
						1532,
						230,
						147,
						22
					],
					"text": "prepend candidate 3",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-95",
					"maxclass": "comment",
					"patching_rect": [
						1400,
						280,
						100,
						20
					],
					"text": "Server process",
					"presentation": 1,
					"presentation_rect": [
						1036,
						0,
						100,
						16
					],
					"fontface": 1,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-96",
					"maxclass": "live.text",
					"patching_rect": [
						1400,
						310,
						40,
						16
					],
					"presentation": 1,
					"presentation_rect": [
						1036,
						18,
						44,
						16
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Server Start",
							"parameter_shortname": "Start",
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1,
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_info": "Start patchflow serve on this computer."
						}
					},
					"varname": "Server Start",
					"mode": 0,
					"text": "Start",
					"texton": "Start",
					"annotation": "Start patchflow serve on this computer.",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-97",
					"maxclass": "newobj",
					"patching_rect": [
						1400,
						340,
						147,
						22
					],
					"text": "prepend serverstart",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-98",
					"maxclass": "live.text",
					"patching_rect": [
						1450,
						310,
						40,
						16
					],
					"presentation": 1,
					"presentation_rect": [
						1082,
						18,
						44,
						16
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Server Stop",
							"parameter_shortname": "Stop",
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1,
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_info": "Stop patchflow serve on this computer."
						}
					},
					"varname": "Server Stop",
					"mode": 0,
					"text": "Stop",
					"texton": "Stop",
					"annotation": "Stop patchflow serve on this computer.",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-99",
					"maxclass": "newobj",
					"patching_rect": [
						1450,
						340,
						140,
						22
					],
					"text": "prepend serverstop",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-100",
					"maxclass": "live.text",
					"patching_rect": [
						1500,
						310,
						40,
						16
					],
					"presentation": 1,
					"presentation_rect": [
						1128,
						18,
						44,
						16
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Server Restart",
							"parameter_shortname": "Restart",
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1,
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_info": "Restart patchflow serve on this computer."
						}
					},
					"varname": "Server Restart",
					"mode": 0,
					"text": "Restart",
					"texton": "Restart",
					"annotation": "Restart patchflow serve on this computer.",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-101",
					"maxclass": "newobj",
					"patching_rect": [
						1500,
						340,
						161,
						22
					],
					"text": "prepend serverrestart",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-102",
					"maxclass": "live.text",
					"patching_rect": [
						1550,
						310,
						40,
						16
					],
					"presentation": 1,
					"presentation_rect": [
						1176,
						18,
						44,
						16
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Server Auto",
							"parameter_shortname": "Auto",
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1,
							"parameter_type": 2,
							"parameter_invisible": 2,
							"parameter_info": "Start the server when the device loads."
						}
					},
					"varname": "Server Auto",
					"mode": 1,
					"text": "Auto",
					"texton": "Auto",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-103",
					"maxclass": "newobj",
					"patching_rect": [
						1550,
						340,
						140,
						22
					],
					"text": "prepend serverauto",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-104",
					"maxclass": "comment",
					"patching_rect": [
						1340,
						370,
						60,
						20
					],
					"text": "command",
					"presentation": 1,
					"presentation_rect": [
						1036,
						38,
						50,
						16
					],
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-105",
					"maxclass": "textedit",
					"patching_rect": [
						1400,
						370,
						180,
						20
					],
					"presentation": 1,
					"presentation_rect": [
						1086,
						38,
						134,
						16
					],
					"varname": "server command",
					"text": "",
					"keymode": 1,
					"lines": 1,
					"parameter_enable": 0,
					"numinlets": 1,
					"numoutlets": 4,
					"outlettype": [
						"",
						"int",
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-106",
					"maxclass": "newobj",
					"patching_rect": [
						1590,
						370,
						84,
						22
					],
					"text": "route text",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-107",
					"maxclass": "newobj",
					"patching_rect": [
						1680,
						370,
						161,
						22
					],
					"text": "prepend servercommand",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-108",
					"maxclass": "comment",
					"patching_rect": [
						1340,
						400,
						60,
						20
					],
					"text": "model",
					"presentation": 1,
					"presentation_rect": [
						1036,
						56,
						50,
						16
					],
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-109",
					"maxclass": "textedit",
					"patching_rect": [
						1400,
						400,
						180,
						20
					],
					"presentation": 1,
					"presentation_rect": [
						1086,
						56,
						134,
						16
					],
					"varname": "server model",
					"text": "",
					"keymode": 1,
					"lines": 1,
					"parameter_enable": 0,
					"numinlets": 1,
					"numoutlets": 4,
					"outlettype": [
						"",
						"int",
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-110",
					"maxclass": "newobj",
					"patching_rect": [
						1590,
						400,
						84,
						22
					],
					"text": "route text",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-111",
					"maxclass": "newobj",
					"patching_rect": [
						1680,
						400,
						147,
						22
					],
					"text": "prepend servermodel",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-112",
					"maxclass": "comment",
					"patching_rect": [
						1340,
						430,
						60,
						20
					],
					"text": "plug-in",
					"presentation": 1,
					"presentation_rect": [
						1036,
						74,
						50,
						16
					],
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-113",
					"maxclass": "textedit",
					"patching_rect": [
						1400,
						430,
						180,
						20
					],
					"presentation": 1,
					"presentation_rect": [
						1086,
						74,
						134,
						16
					],
					"varname": "server plugin",
					"text": "",
					"keymode": 1,
					"lines": 1,
					"parameter_enable": 0,
					"numinlets": 1,
					"numoutlets": 4,
					"outlettype": [
						"",
						"int",
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-114",
					"maxclass": "newobj",
					"patching_rect": [
						1590,
						430,
						84,
						22
					],
					"text": "route text",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-115",
					"maxclass": "newobj",
					"patching_rect": [
						1680,
						430,
						154,
						22
					],
					"text": "prepend serverplugin",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-116",
					"maxclass": "live.numbox",
					"patching_rect": [
						1400,
						460,
						44,
						15
					],
					"presentation": 1,
					"presentation_rect": [
						1036,
						148,
						40,
						15
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Search Seconds",
							"parameter_shortname": "Search",
							"parameter_type": 0,
							"parameter_mmin": 0,
							"parameter_mmax": 30,
							"parameter_initial_enable": 1,
							"parameter_initial": [
								2
							],
							"parameter_unitstyle": 1,
							"parameter_invisible": 1,
							"parameter_info": "Seconds each match keeps improving on the server the device starts (0: none)."
						}
					},
					"varname": "Search Seconds",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					]
				}
			},
			{
				"box": {
					"id": "obj-117",
					"maxclass": "newobj",
					"patching_rect": [
						1400,
						490,
						154,
						22
					],
					"text": "prepend serverbudget",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-118",
					"maxclass": "comment",
					"patching_rect": [
						1450,
						460,
						100,
						20
					],
					"text": "s search (Start)",
					"presentation": 1,
					"presentation_rect": [
						1078,
						148,
						100,
						16
					],
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-119",
					"maxclass": "newobj",
					"patching_rect": [
						700,
						520,
						686,
						22
					],
					"text": "route server model latency error capture mapping target light score note candidates proc proclog",
					"numinlets": 2,
					"numoutlets": 14,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-120",
					"maxclass": "newobj",
					"patching_rect": [
						700,
						560,
						91,
						22
					],
					"text": "prepend set",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-121",
					"maxclass": "comment",
					"patching_rect": [
						700,
						600,
						100,
						36
					],
					"text": "script not loaded: patchflow_device.js is missing (use patchflow_frozen.amxd)",
					"presentation": 1,
					"presentation_rect": [
						624,
						58,
						196,
						30
					],
					"varname": "server status",
					"linecount": 2,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-122",
					"maxclass": "newobj",
					"patching_rect": [
						810,
						560,
						91,
						22
					],
					"text": "prepend set",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-123",
					"maxclass": "comment",
					"patching_rect": [
						810,
						600,
						100,
						36
					],
					"text": "model: -",
					"presentation": 1,
					"presentation_rect": [
						624,
						90,
						196,
						18
					],
					"varname": "model status",
					"linecount": 2,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-124",
					"maxclass": "newobj",
					"patching_rect": [
						920,
						560,
						91,
						22
					],
					"text": "prepend set",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-125",
					"maxclass": "comment",
					"patching_rect": [
						920,
						600,
						100,
						36
					],
					"text": "latency: -",
					"presentation": 1,
					"presentation_rect": [
						624,
						110,
						196,
						18
					],
					"varname": "latency status",
					"linecount": 2,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-126",
					"maxclass": "newobj",
					"patching_rect": [
						1030,
						560,
						91,
						22
					],
					"text": "prepend set",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-127",
					"maxclass": "comment",
					"patching_rect": [
						1030,
						600,
						100,
						36
					],
					"text": "error: -",
					"presentation": 1,
					"presentation_rect": [
						624,
						128,
						196,
						36
					],
					"varname": "error status",
					"linecount": 2,
					"textcolor": [
						0.9,
						0.35,
						0.3,
						1
					],
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-128",
					"maxclass": "newobj",
					"patching_rect": [
						1140,
						560,
						91,
						22
					],
					"text": "prepend set",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-129",
					"maxclass": "comment",
					"patching_rect": [
						1140,
						600,
						100,
						36
					],
					"text": "capture: -",
					"presentation": 1,
					"presentation_rect": [
						4,
						102,
						140,
						60
					],
					"varname": "capture status",
					"linecount": 2,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-130",
					"maxclass": "newobj",
					"patching_rect": [
						1250,
						560,
						91,
						22
					],
					"text": "prepend set",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-131",
					"maxclass": "comment",
					"patching_rect": [
						1250,
						600,
						100,
						36
					],
					"text": "mapping: -",
					"presentation": 1,
					"presentation_rect": [
						366,
						120,
						252,
						36
					],
					"varname": "mapping status",
					"linecount": 2,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-132",
					"maxclass": "newobj",
					"patching_rect": [
						1360,
						560,
						91,
						22
					],
					"text": "prepend set",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-133",
					"maxclass": "comment",
					"patching_rect": [
						1360,
						600,
						100,
						36
					],
					"text": "target: -",
					"presentation": 1,
					"presentation_rect": [
						150,
						61,
						210,
						18
					],
					"varname": "target status",
					"linecount": 2,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-134",
					"maxclass": "newobj",
					"patching_rect": [
						700,
						650,
						91,
						22
					],
					"text": "prepend set",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-135",
					"maxclass": "comment",
					"patching_rect": [
						700,
						690,
						100,
						36
					],
					"text": "script not loaded",
					"presentation": 1,
					"presentation_rect": [
						872,
						0,
						150,
						16
					],
					"varname": "light status",
					"linecount": 2,
					"textcolor": [
						0.9,
						0.35,
						0.3,
						1
					],
					"fontface": 1,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-136",
					"maxclass": "newobj",
					"patching_rect": [
						810,
						650,
						91,
						22
					],
					"text": "prepend set",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-137",
					"maxclass": "comment",
					"patching_rect": [
						810,
						690,
						100,
						36
					],
					"text": "score: -",
					"presentation": 1,
					"presentation_rect": [
						830,
						18,
						200,
						18
					],
					"varname": "score status",
					"linecount": 2,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-138",
					"maxclass": "newobj",
					"patching_rect": [
						920,
						650,
						91,
						22
					],
					"text": "prepend set",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-139",
					"maxclass": "comment",
					"patching_rect": [
						920,
						690,
						100,
						36
					],
					"text": "note: -",
					"presentation": 1,
					"presentation_rect": [
						830,
						36,
						200,
						62
					],
					"varname": "note status",
					"linecount": 2,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-140",
					"maxclass": "newobj",
					"patching_rect": [
						1030,
						650,
						91,
						22
					],
					"text": "prepend set",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-141",
					"maxclass": "comment",
					"patching_rect": [
						1030,
						690,
						100,
						36
					],
					"text": "candidates: -",
					"presentation": 1,
					"presentation_rect": [
						830,
						120,
						200,
						18
					],
					"varname": "candidates status",
					"linecount": 2,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-142",
					"maxclass": "newobj",
					"patching_rect": [
						1140,
						650,
						91,
						22
					],
					"text": "prepend set",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-143",
					"maxclass": "comment",
					"patching_rect": [
						1140,
						690,
						100,
						36
					],
					"text": "server process: waiting for Node for Max (node.script)",
					"presentation": 1,
					"presentation_rect": [
						1036,
						94,
						184,
						18
					],
					"varname": "proc status",
					"linecount": 2,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-144",
					"maxclass": "newobj",
					"patching_rect": [
						1250,
						650,
						91,
						22
					],
					"text": "prepend set",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-145",
					"maxclass": "comment",
					"patching_rect": [
						1250,
						690,
						100,
						36
					],
					"text": "proclog: -",
					"presentation": 1,
					"presentation_rect": [
						1036,
						112,
						184,
						34
					],
					"varname": "proclog status",
					"linecount": 2,
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-146",
					"maxclass": "newobj",
					"patching_rect": [
						20,
						960,
						900,
						22
					],
					"text": "route track device model live host opendialog savedialog light matchactive servercommand servermodel serverplugin serverauto morphdial macro1 macro2 macro3 macro4 macro5 macro6 macro7 macro8",
					"numinlets": 2,
					"numoutlets": 23,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-147",
					"maxclass": "comment",
					"patching_rect": [
						20,
						1020,
						420,
						20
					],
					"text": "live.remote~ pool: macro streams drive parameters without undo steps",
					"numinlets": 1,
					"numoutlets": 0
				}
			},
			{
				"box": {
					"id": "obj-remote-values",
					"maxclass": "newobj",
					"patching_rect": [
						20,
						1050,
						1500,
						22
					],
					"text": "route 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63",
					"numinlets": 2,
					"numoutlets": 65,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-ids",
					"maxclass": "newobj",
					"patching_rect": [
						20,
						1090,
						1500,
						22
					],
					"text": "route 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63",
					"numinlets": 2,
					"numoutlets": 65,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-0",
					"maxclass": "newobj",
					"patching_rect": [
						20,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-1",
					"maxclass": "newobj",
					"patching_rect": [
						110,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-2",
					"maxclass": "newobj",
					"patching_rect": [
						200,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-3",
					"maxclass": "newobj",
					"patching_rect": [
						290,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-4",
					"maxclass": "newobj",
					"patching_rect": [
						380,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-5",
					"maxclass": "newobj",
					"patching_rect": [
						470,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-6",
					"maxclass": "newobj",
					"patching_rect": [
						560,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-7",
					"maxclass": "newobj",
					"patching_rect": [
						650,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-8",
					"maxclass": "newobj",
					"patching_rect": [
						740,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-9",
					"maxclass": "newobj",
					"patching_rect": [
						830,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-10",
					"maxclass": "newobj",
					"patching_rect": [
						920,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-11",
					"maxclass": "newobj",
					"patching_rect": [
						1010,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-12",
					"maxclass": "newobj",
					"patching_rect": [
						1100,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-13",
					"maxclass": "newobj",
					"patching_rect": [
						1190,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-14",
					"maxclass": "newobj",
					"patching_rect": [
						1280,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-15",
					"maxclass": "newobj",
					"patching_rect": [
						1370,
						1140,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-16",
					"maxclass": "newobj",
					"patching_rect": [
						20,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-17",
					"maxclass": "newobj",
					"patching_rect": [
						110,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-18",
					"maxclass": "newobj",
					"patching_rect": [
						200,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-19",
					"maxclass": "newobj",
					"patching_rect": [
						290,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-20",
					"maxclass": "newobj",
					"patching_rect": [
						380,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-21",
					"maxclass": "newobj",
					"patching_rect": [
						470,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-22",
					"maxclass": "newobj",
					"patching_rect": [
						560,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-23",
					"maxclass": "newobj",
					"patching_rect": [
						650,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-24",
					"maxclass": "newobj",
					"patching_rect": [
						740,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-25",
					"maxclass": "newobj",
					"patching_rect": [
						830,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-26",
					"maxclass": "newobj",
					"patching_rect": [
						920,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-27",
					"maxclass": "newobj",
					"patching_rect": [
						1010,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-28",
					"maxclass": "newobj",
					"patching_rect": [
						1100,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-29",
					"maxclass": "newobj",
					"patching_rect": [
						1190,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-30",
					"maxclass": "newobj",
					"patching_rect": [
						1280,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-31",
					"maxclass": "newobj",
					"patching_rect": [
						1370,
						1180,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-32",
					"maxclass": "newobj",
					"patching_rect": [
						20,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-33",
					"maxclass": "newobj",
					"patching_rect": [
						110,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-34",
					"maxclass": "newobj",
					"patching_rect": [
						200,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-35",
					"maxclass": "newobj",
					"patching_rect": [
						290,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-36",
					"maxclass": "newobj",
					"patching_rect": [
						380,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-37",
					"maxclass": "newobj",
					"patching_rect": [
						470,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-38",
					"maxclass": "newobj",
					"patching_rect": [
						560,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-39",
					"maxclass": "newobj",
					"patching_rect": [
						650,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-40",
					"maxclass": "newobj",
					"patching_rect": [
						740,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-41",
					"maxclass": "newobj",
					"patching_rect": [
						830,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-42",
					"maxclass": "newobj",
					"patching_rect": [
						920,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-43",
					"maxclass": "newobj",
					"patching_rect": [
						1010,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-44",
					"maxclass": "newobj",
					"patching_rect": [
						1100,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-45",
					"maxclass": "newobj",
					"patching_rect": [
						1190,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-46",
					"maxclass": "newobj",
					"patching_rect": [
						1280,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-47",
					"maxclass": "newobj",
					"patching_rect": [
						1370,
						1220,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-48",
					"maxclass": "newobj",
					"patching_rect": [
						20,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-49",
					"maxclass": "newobj",
					"patching_rect": [
						110,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-50",
					"maxclass": "newobj",
					"patching_rect": [
						200,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-51",
					"maxclass": "newobj",
					"patching_rect": [
						290,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-52",
					"maxclass": "newobj",
					"patching_rect": [
						380,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-53",
					"maxclass": "newobj",
					"patching_rect": [
						470,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-54",
					"maxclass": "newobj",
					"patching_rect": [
						560,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-55",
					"maxclass": "newobj",
					"patching_rect": [
						650,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-56",
					"maxclass": "newobj",
					"patching_rect": [
						740,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-57",
					"maxclass": "newobj",
					"patching_rect": [
						830,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-58",
					"maxclass": "newobj",
					"patching_rect": [
						920,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-59",
					"maxclass": "newobj",
					"patching_rect": [
						1010,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-60",
					"maxclass": "newobj",
					"patching_rect": [
						1100,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-61",
					"maxclass": "newobj",
					"patching_rect": [
						1190,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-62",
					"maxclass": "newobj",
					"patching_rect": [
						1280,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			},
			{
				"box": {
					"id": "obj-remote-63",
					"maxclass": "newobj",
					"patching_rect": [
						1370,
						1260,
						80,
						22
					],
					"text": "live.remote~",
					"saved_object_attributes": {
						"_persistence": 0,
						"normalized": 0,
						"smoothing": 1
					},
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					]
				}
			}
		],
		"lines": [
			{
				"patchline": {
					"destination": [
						"obj-plugout",
						0
					],
					"source": [
						"obj-plugin",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-plugout",
						1
					],
					"source": [
						"obj-plugin",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-record",
						0
					],
					"source": [
						"obj-plugin",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-record",
						1
					],
					"source": [
						"obj-plugin",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-record",
						0
					],
					"source": [
						"obj-js",
						2
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-8",
						0
					],
					"source": [
						"obj-thisdevice",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-9",
						0
					],
					"source": [
						"obj-8",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-10",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-10",
						0
					],
					"source": [
						"obj-9",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-11",
						0
					],
					"source": [
						"obj-8",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-11",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-node",
						0
					],
					"source": [
						"obj-js",
						8
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-13",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-13",
						0
					],
					"source": [
						"obj-node",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-14",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-14",
						0
					],
					"source": [
						"obj-node",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-udpsend",
						0
					],
					"source": [
						"obj-js",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-udpreceive",
						0
					],
					"source": [
						"obj-js",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-udpreceive",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-state",
						0
					],
					"source": [
						"obj-js",
						6
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-18",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-18",
						0
					],
					"source": [
						"obj-state",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-21",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-21",
						0
					],
					"source": [
						"obj-20",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-24",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-24",
						0
					],
					"source": [
						"obj-23",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-26",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-26",
						0
					],
					"source": [
						"obj-25",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-28",
						0
					],
					"source": [
						"obj-file-buffer",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-29",
						0
					],
					"source": [
						"obj-28",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-30",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-30",
						0
					],
					"source": [
						"obj-29",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-31",
						0
					],
					"source": [
						"obj-28",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-31",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-34",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-34",
						0
					],
					"source": [
						"obj-33",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-36",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-36",
						0
					],
					"source": [
						"obj-35",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-38",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-38",
						0
					],
					"source": [
						"obj-37",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-40",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-40",
						0
					],
					"source": [
						"obj-39",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-43",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-43",
						0
					],
					"source": [
						"obj-42",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-45",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-45",
						0
					],
					"source": [
						"obj-44",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-47",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-47",
						0
					],
					"source": [
						"obj-46",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-49",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-49",
						0
					],
					"source": [
						"obj-48",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-51",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-51",
						0
					],
					"source": [
						"obj-50",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-53",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-53",
						0
					],
					"source": [
						"obj-52",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-55",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-55",
						0
					],
					"source": [
						"obj-54",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-58",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-58",
						0
					],
					"source": [
						"obj-57",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-60",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-60",
						0
					],
					"source": [
						"obj-59",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-62",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-62",
						0
					],
					"source": [
						"obj-61",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-64",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-64",
						0
					],
					"source": [
						"obj-63",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-66",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-66",
						0
					],
					"source": [
						"obj-65",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-68",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-68",
						0
					],
					"source": [
						"obj-67",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-70",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-70",
						0
					],
					"source": [
						"obj-69",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-72",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-72",
						0
					],
					"source": [
						"obj-71",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-74",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-74",
						0
					],
					"source": [
						"obj-73",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-78",
						0
					],
					"source": [
						"obj-76",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-79",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-79",
						0
					],
					"source": [
						"obj-78",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-81",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-81",
						0
					],
					"source": [
						"obj-80",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-83",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-83",
						0
					],
					"source": [
						"obj-82",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-85",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-85",
						0
					],
					"source": [
						"obj-84",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-88",
						0
					],
					"source": [
						"obj-87",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-88",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-90",
						0
					],
					"source": [
						"obj-89",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-90",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-92",
						0
					],
					"source": [
						"obj-91",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-92",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-94",
						0
					],
					"source": [
						"obj-93",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-94",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-97",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-97",
						0
					],
					"source": [
						"obj-96",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-99",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-99",
						0
					],
					"source": [
						"obj-98",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-101",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-101",
						0
					],
					"source": [
						"obj-100",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-103",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-103",
						0
					],
					"source": [
						"obj-102",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-106",
						0
					],
					"source": [
						"obj-105",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-107",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-107",
						0
					],
					"source": [
						"obj-106",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-110",
						0
					],
					"source": [
						"obj-109",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-111",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-111",
						0
					],
					"source": [
						"obj-110",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-114",
						0
					],
					"source": [
						"obj-113",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-115",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-115",
						0
					],
					"source": [
						"obj-114",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-117",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-117",
						0
					],
					"source": [
						"obj-116",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-119",
						0
					],
					"source": [
						"obj-js",
						3
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-120",
						0
					],
					"source": [
						"obj-119",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-121",
						0
					],
					"source": [
						"obj-120",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-122",
						0
					],
					"source": [
						"obj-119",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-123",
						0
					],
					"source": [
						"obj-122",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-124",
						0
					],
					"source": [
						"obj-119",
						2
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-125",
						0
					],
					"source": [
						"obj-124",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-126",
						0
					],
					"source": [
						"obj-119",
						3
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-127",
						0
					],
					"source": [
						"obj-126",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-128",
						0
					],
					"source": [
						"obj-119",
						4
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-129",
						0
					],
					"source": [
						"obj-128",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-130",
						0
					],
					"source": [
						"obj-119",
						5
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-131",
						0
					],
					"source": [
						"obj-130",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-132",
						0
					],
					"source": [
						"obj-119",
						6
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-133",
						0
					],
					"source": [
						"obj-132",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-134",
						0
					],
					"source": [
						"obj-119",
						7
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-135",
						0
					],
					"source": [
						"obj-134",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-136",
						0
					],
					"source": [
						"obj-119",
						8
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-137",
						0
					],
					"source": [
						"obj-136",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-138",
						0
					],
					"source": [
						"obj-119",
						9
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-139",
						0
					],
					"source": [
						"obj-138",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-140",
						0
					],
					"source": [
						"obj-119",
						10
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-141",
						0
					],
					"source": [
						"obj-140",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-142",
						0
					],
					"source": [
						"obj-119",
						11
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-143",
						0
					],
					"source": [
						"obj-142",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-144",
						0
					],
					"source": [
						"obj-119",
						12
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-145",
						0
					],
					"source": [
						"obj-144",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-146",
						0
					],
					"source": [
						"obj-js",
						7
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-33",
						0
					],
					"source": [
						"obj-146",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-35",
						0
					],
					"source": [
						"obj-146",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-42",
						0
					],
					"source": [
						"obj-146",
						2
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-44",
						0
					],
					"source": [
						"obj-146",
						3
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-76",
						0
					],
					"source": [
						"obj-146",
						4
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-52",
						0
					],
					"source": [
						"obj-146",
						5
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-54",
						0
					],
					"source": [
						"obj-146",
						6
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-135",
						0
					],
					"source": [
						"obj-146",
						7
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-20",
						0
					],
					"source": [
						"obj-146",
						8
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-105",
						0
					],
					"source": [
						"obj-146",
						9
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-109",
						0
					],
					"source": [
						"obj-146",
						10
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-113",
						0
					],
					"source": [
						"obj-146",
						11
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-102",
						0
					],
					"source": [
						"obj-146",
						12
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-73",
						0
					],
					"source": [
						"obj-146",
						13
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-57",
						0
					],
					"source": [
						"obj-146",
						14
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-59",
						0
					],
					"source": [
						"obj-146",
						15
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-61",
						0
					],
					"source": [
						"obj-146",
						16
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-63",
						0
					],
					"source": [
						"obj-146",
						17
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-65",
						0
					],
					"source": [
						"obj-146",
						18
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-67",
						0
					],
					"source": [
						"obj-146",
						19
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-69",
						0
					],
					"source": [
						"obj-146",
						20
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-71",
						0
					],
					"source": [
						"obj-146",
						21
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-values",
						0
					],
					"source": [
						"obj-js",
						4
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-ids",
						0
					],
					"source": [
						"obj-js",
						5
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-0",
						0
					],
					"source": [
						"obj-remote-values",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-0",
						1
					],
					"source": [
						"obj-remote-ids",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-1",
						0
					],
					"source": [
						"obj-remote-values",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-1",
						1
					],
					"source": [
						"obj-remote-ids",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-2",
						0
					],
					"source": [
						"obj-remote-values",
						2
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-2",
						1
					],
					"source": [
						"obj-remote-ids",
						2
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-3",
						0
					],
					"source": [
						"obj-remote-values",
						3
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-3",
						1
					],
					"source": [
						"obj-remote-ids",
						3
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-4",
						0
					],
					"source": [
						"obj-remote-values",
						4
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-4",
						1
					],
					"source": [
						"obj-remote-ids",
						4
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-5",
						0
					],
					"source": [
						"obj-remote-values",
						5
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-5",
						1
					],
					"source": [
						"obj-remote-ids",
						5
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-6",
						0
					],
					"source": [
						"obj-remote-values",
						6
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-6",
						1
					],
					"source": [
						"obj-remote-ids",
						6
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-7",
						0
					],
					"source": [
						"obj-remote-values",
						7
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-7",
						1
					],
					"source": [
						"obj-remote-ids",
						7
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-8",
						0
					],
					"source": [
						"obj-remote-values",
						8
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-8",
						1
					],
					"source": [
						"obj-remote-ids",
						8
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-9",
						0
					],
					"source": [
						"obj-remote-values",
						9
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-9",
						1
					],
					"source": [
						"obj-remote-ids",
						9
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-10",
						0
					],
					"source": [
						"obj-remote-values",
						10
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-10",
						1
					],
					"source": [
						"obj-remote-ids",
						10
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-11",
						0
					],
					"source": [
						"obj-remote-values",
						11
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-11",
						1
					],
					"source": [
						"obj-remote-ids",
						11
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-12",
						0
					],
					"source": [
						"obj-remote-values",
						12
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-12",
						1
					],
					"source": [
						"obj-remote-ids",
						12
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-13",
						0
					],
					"source": [
						"obj-remote-values",
						13
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-13",
						1
					],
					"source": [
						"obj-remote-ids",
						13
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-14",
						0
					],
					"source": [
						"obj-remote-values",
						14
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-14",
						1
					],
					"source": [
						"obj-remote-ids",
						14
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-15",
						0
					],
					"source": [
						"obj-remote-values",
						15
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-15",
						1
					],
					"source": [
						"obj-remote-ids",
						15
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-16",
						0
					],
					"source": [
						"obj-remote-values",
						16
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-16",
						1
					],
					"source": [
						"obj-remote-ids",
						16
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-17",
						0
					],
					"source": [
						"obj-remote-values",
						17
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-17",
						1
					],
					"source": [
						"obj-remote-ids",
						17
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-18",
						0
					],
					"source": [
						"obj-remote-values",
						18
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-18",
						1
					],
					"source": [
						"obj-remote-ids",
						18
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-19",
						0
					],
					"source": [
						"obj-remote-values",
						19
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-19",
						1
					],
					"source": [
						"obj-remote-ids",
						19
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-20",
						0
					],
					"source": [
						"obj-remote-values",
						20
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-20",
						1
					],
					"source": [
						"obj-remote-ids",
						20
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-21",
						0
					],
					"source": [
						"obj-remote-values",
						21
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-21",
						1
					],
					"source": [
						"obj-remote-ids",
						21
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-22",
						0
					],
					"source": [
						"obj-remote-values",
						22
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-22",
						1
					],
					"source": [
						"obj-remote-ids",
						22
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-23",
						0
					],
					"source": [
						"obj-remote-values",
						23
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-23",
						1
					],
					"source": [
						"obj-remote-ids",
						23
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-24",
						0
					],
					"source": [
						"obj-remote-values",
						24
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-24",
						1
					],
					"source": [
						"obj-remote-ids",
						24
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-25",
						0
					],
					"source": [
						"obj-remote-values",
						25
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-25",
						1
					],
					"source": [
						"obj-remote-ids",
						25
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-26",
						0
					],
					"source": [
						"obj-remote-values",
						26
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-26",
						1
					],
					"source": [
						"obj-remote-ids",
						26
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-27",
						0
					],
					"source": [
						"obj-remote-values",
						27
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-27",
						1
					],
					"source": [
						"obj-remote-ids",
						27
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-28",
						0
					],
					"source": [
						"obj-remote-values",
						28
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-28",
						1
					],
					"source": [
						"obj-remote-ids",
						28
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-29",
						0
					],
					"source": [
						"obj-remote-values",
						29
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-29",
						1
					],
					"source": [
						"obj-remote-ids",
						29
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-30",
						0
					],
					"source": [
						"obj-remote-values",
						30
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-30",
						1
					],
					"source": [
						"obj-remote-ids",
						30
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-31",
						0
					],
					"source": [
						"obj-remote-values",
						31
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-31",
						1
					],
					"source": [
						"obj-remote-ids",
						31
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-32",
						0
					],
					"source": [
						"obj-remote-values",
						32
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-32",
						1
					],
					"source": [
						"obj-remote-ids",
						32
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-33",
						0
					],
					"source": [
						"obj-remote-values",
						33
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-33",
						1
					],
					"source": [
						"obj-remote-ids",
						33
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-34",
						0
					],
					"source": [
						"obj-remote-values",
						34
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-34",
						1
					],
					"source": [
						"obj-remote-ids",
						34
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-35",
						0
					],
					"source": [
						"obj-remote-values",
						35
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-35",
						1
					],
					"source": [
						"obj-remote-ids",
						35
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-36",
						0
					],
					"source": [
						"obj-remote-values",
						36
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-36",
						1
					],
					"source": [
						"obj-remote-ids",
						36
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-37",
						0
					],
					"source": [
						"obj-remote-values",
						37
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-37",
						1
					],
					"source": [
						"obj-remote-ids",
						37
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-38",
						0
					],
					"source": [
						"obj-remote-values",
						38
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-38",
						1
					],
					"source": [
						"obj-remote-ids",
						38
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-39",
						0
					],
					"source": [
						"obj-remote-values",
						39
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-39",
						1
					],
					"source": [
						"obj-remote-ids",
						39
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-40",
						0
					],
					"source": [
						"obj-remote-values",
						40
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-40",
						1
					],
					"source": [
						"obj-remote-ids",
						40
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-41",
						0
					],
					"source": [
						"obj-remote-values",
						41
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-41",
						1
					],
					"source": [
						"obj-remote-ids",
						41
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-42",
						0
					],
					"source": [
						"obj-remote-values",
						42
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-42",
						1
					],
					"source": [
						"obj-remote-ids",
						42
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-43",
						0
					],
					"source": [
						"obj-remote-values",
						43
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-43",
						1
					],
					"source": [
						"obj-remote-ids",
						43
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-44",
						0
					],
					"source": [
						"obj-remote-values",
						44
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-44",
						1
					],
					"source": [
						"obj-remote-ids",
						44
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-45",
						0
					],
					"source": [
						"obj-remote-values",
						45
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-45",
						1
					],
					"source": [
						"obj-remote-ids",
						45
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-46",
						0
					],
					"source": [
						"obj-remote-values",
						46
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-46",
						1
					],
					"source": [
						"obj-remote-ids",
						46
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-47",
						0
					],
					"source": [
						"obj-remote-values",
						47
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-47",
						1
					],
					"source": [
						"obj-remote-ids",
						47
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-48",
						0
					],
					"source": [
						"obj-remote-values",
						48
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-48",
						1
					],
					"source": [
						"obj-remote-ids",
						48
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-49",
						0
					],
					"source": [
						"obj-remote-values",
						49
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-49",
						1
					],
					"source": [
						"obj-remote-ids",
						49
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-50",
						0
					],
					"source": [
						"obj-remote-values",
						50
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-50",
						1
					],
					"source": [
						"obj-remote-ids",
						50
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-51",
						0
					],
					"source": [
						"obj-remote-values",
						51
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-51",
						1
					],
					"source": [
						"obj-remote-ids",
						51
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-52",
						0
					],
					"source": [
						"obj-remote-values",
						52
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-52",
						1
					],
					"source": [
						"obj-remote-ids",
						52
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-53",
						0
					],
					"source": [
						"obj-remote-values",
						53
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-53",
						1
					],
					"source": [
						"obj-remote-ids",
						53
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-54",
						0
					],
					"source": [
						"obj-remote-values",
						54
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-54",
						1
					],
					"source": [
						"obj-remote-ids",
						54
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-55",
						0
					],
					"source": [
						"obj-remote-values",
						55
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-55",
						1
					],
					"source": [
						"obj-remote-ids",
						55
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-56",
						0
					],
					"source": [
						"obj-remote-values",
						56
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-56",
						1
					],
					"source": [
						"obj-remote-ids",
						56
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-57",
						0
					],
					"source": [
						"obj-remote-values",
						57
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-57",
						1
					],
					"source": [
						"obj-remote-ids",
						57
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-58",
						0
					],
					"source": [
						"obj-remote-values",
						58
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-58",
						1
					],
					"source": [
						"obj-remote-ids",
						58
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-59",
						0
					],
					"source": [
						"obj-remote-values",
						59
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-59",
						1
					],
					"source": [
						"obj-remote-ids",
						59
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-60",
						0
					],
					"source": [
						"obj-remote-values",
						60
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-60",
						1
					],
					"source": [
						"obj-remote-ids",
						60
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-61",
						0
					],
					"source": [
						"obj-remote-values",
						61
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-61",
						1
					],
					"source": [
						"obj-remote-ids",
						61
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-62",
						0
					],
					"source": [
						"obj-remote-values",
						62
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-62",
						1
					],
					"source": [
						"obj-remote-ids",
						62
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-63",
						0
					],
					"source": [
						"obj-remote-values",
						63
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-remote-63",
						1
					],
					"source": [
						"obj-remote-ids",
						63
					]
				}
			}
		],
		"parameters": {
			"obj-state": [
				"patchflow state",
				"state",
				0
			],
			"obj-20": [
				"Match",
				"Match",
				0
			],
			"obj-23": [
				"Length",
				"Length",
				0
			],
			"obj-25": [
				"Audio File",
				"File",
				0
			],
			"obj-37": [
				"Pick",
				"Pick",
				0
			],
			"obj-39": [
				"Refresh",
				"Refresh",
				0
			],
			"obj-46": [
				"Auto Map",
				"Auto",
				0
			],
			"obj-48": [
				"Load Map",
				"Load",
				0
			],
			"obj-50": [
				"Save Map",
				"Save",
				0
			],
			"obj-57": [
				"Macro 1",
				"M1",
				0
			],
			"obj-59": [
				"Macro 2",
				"M2",
				0
			],
			"obj-61": [
				"Macro 3",
				"M3",
				0
			],
			"obj-63": [
				"Macro 4",
				"M4",
				0
			],
			"obj-65": [
				"Macro 5",
				"M5",
				0
			],
			"obj-67": [
				"Macro 6",
				"M6",
				0
			],
			"obj-69": [
				"Macro 7",
				"M7",
				0
			],
			"obj-71": [
				"Macro 8",
				"M8",
				0
			],
			"obj-73": [
				"Morph",
				"Morph",
				0
			],
			"obj-80": [
				"Send Port",
				"Send",
				0
			],
			"obj-82": [
				"Reply Port",
				"Reply",
				0
			],
			"obj-84": [
				"Transport",
				"Transport",
				0
			],
			"obj-87": [
				"Candidate A",
				"A",
				0
			],
			"obj-89": [
				"Candidate B",
				"B",
				0
			],
			"obj-91": [
				"Candidate C",
				"C",
				0
			],
			"obj-93": [
				"Candidate D",
				"D",
				0
			],
			"obj-96": [
				"Server Start",
				"Start",
				0
			],
			"obj-98": [
				"Server Stop",
				"Stop",
				0
			],
			"obj-100": [
				"Server Restart",
				"Restart",
				0
			],
			"obj-102": [
				"Server Auto",
				"Auto",
				0
			],
			"obj-116": [
				"Search Seconds",
				"Search",
				0
			],
			"parameterbanks": {
				"0": {
					"index": 0,
					"name": "Macros",
					"parameters": [
						"Macro 1",
						"Macro 2",
						"Macro 3",
						"Macro 4",
						"Macro 5",
						"Macro 6",
						"Macro 7",
						"Macro 8"
					]
				},
				"1": {
					"index": 1,
					"name": "Capture",
					"parameters": [
						"Match",
						"Length",
						"Morph",
						"-",
						"-",
						"-",
						"-",
						"-"
					]
				}
			},
			"inherited_shortname": 1
		},
		"dependency_cache": [
			{
				"name": "patchflow_device.js",
				"bootpath": ".",
				"patcherrelativepath": ".",
				"type": "TEXT",
				"implicit": 1
			},
			{
				"name": "patchflow_server.js",
				"bootpath": ".",
				"patcherrelativepath": ".",
				"type": "TEXT",
				"implicit": 1
			}
		],
		"latency": 0,
		"is_mpe": 0,
		"minimum_live_version": "",
		"minimum_max_version": "",
		"platform_compatibility": 0,
		"project": {
			"version": 1,
			"creationdate": 3590052786,
			"modificationdate": 3590052786,
			"viewrect": [
				0,
				0,
				300,
				500
			],
			"autoorganize": 1,
			"hideprojectwindow": 1,
			"showdependencies": 1,
			"autolocalize": 0,
			"contents": {
				"patchers": {},
				"code": {
					"patchflow_device.js": {
						"kind": "javascript",
						"local": 1
					},
					"patchflow_server.js": {
						"kind": "javascript",
						"local": 1
					}
				}
			},
			"layout": {},
			"searchpath": {},
			"detailsvisible": 0,
			"amxdtype": 1633771873,
			"readonly": 0,
			"devpathtype": 0,
			"devpath": ".",
			"sortmode": 0,
			"viewmode": 0,
			"includepackages": 0
		},
		"autosave": 0
	}
}
