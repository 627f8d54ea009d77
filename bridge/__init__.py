"""Real-time bridge: OSC, ZeroMQ and MIDI protocol layers around an inference engine.

Layering (as python-osc): pure codecs (``osc_codec``, ``zmq_codec``, ``midi``) turn bytes into
messages; ``osc_protocol`` types the OSC requests and replies; ``dispatcher`` turns requests into
replies by calling an :class:`~patchflow.bridge.service.Engine`; transports (``osc_server``,
``zmq_server``) receive a dispatcher and only move bytes. Nothing here imports torch.
"""
