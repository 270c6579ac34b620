#!/usr/bin/python3
"""A real RTSP server for the prober's tests: GStreamer's gst-rtsp-server on 127.0.0.1.

Usage: rtsp_server.py PORT {digest|basic|none}
Mounts (user admin, password secret):
  /good    live H.264 test picture
  /audio   audio only (PCMU)
  /silent  answers DESCRIBE, SETUP and PLAY but never sends a packet
  /shared  /good with one pipeline shared by every client (the benchmark: DESCRIBE then costs
           the server no new encoder)
Prints "READY" once listening. Ends by itself after 300 s, or when stdin closes (the test ended).
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

Gst.init(None)
port, auth_mode = sys.argv[1], sys.argv[2]

VIDEO = "( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! rtph264pay name=pay0 pt=96 config-interval=1 )"
AUDIO = "( audiotestsrc is-live=true ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay0 pt=0 )"


def drop_buffers(pad, info):
    return Gst.PadProbeReturn.DROP


def silence(factory, media):
    # The media prepares normally (the SDP needs the encoder's first frames); once prepared,
    # every buffer is dropped before it is sent: DESCRIBE, SETUP and PLAY answer, no packet flows.
    def prepared(media):
        payloader = media.get_element().get_by_name("pay0")
        payloader.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST, drop_buffers)
    media.connect("prepared", prepared)


server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
mounts = server.get_mount_points()
for path, launch, configure in (("/good", VIDEO, None), ("/audio", AUDIO, None), ("/silent", VIDEO, silence), ("/shared", VIDEO, None)):
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(path == "/shared")
    factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
    if configure:
        factory.connect("media-configure", configure)
    if auth_mode != "none":
        factory.add_role_from_structure(Gst.Structure.new_from_string(
            "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"))
    mounts.add_factory(path, factory)

if auth_mode != "none":
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
    if auth_mode == "digest":
        auth.add_digest("admin", "secret", token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    else:
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic("admin", "secret"), token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
    server.set_auth(auth)

loop = GLib.MainLoop()
if server.attach(None) == 0:
    print("FAILED to listen on 127.0.0.1:" + port, flush=True)
    sys.exit(1)
GLib.timeout_add_seconds(300, loop.quit)
GLib.io_add_watch(GLib.IOChannel.unix_new(0), GLib.IO_HUP | GLib.IO_ERR | GLib.IO_IN,
                  lambda *args: (loop.quit(), False)[1] if not sys.stdin.buffer.read1(1) else True)
print("READY", flush=True)
loop.run()
