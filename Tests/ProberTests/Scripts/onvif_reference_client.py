#!/usr/bin/env python3
"""Calls an ONVIF device with the PyPI reference client onvif-zeep and prints what it got as JSON.

Used to show that the test stub is a device the reference client works with (so the prober being
accepted by the same stub means something): onvif-zeep with adjust_time=True reads the camera's
clock and signs WS-UsernameToken PasswordDigest with the camera's time, as the prober does.

Usage: onvif_reference_client.py HOST PORT USER PASSWORD [--no-adjust]
Connects to loopback only: any other address is refused before a packet leaves (the WSDLs are the
copies onvif-zeep ships; nothing is fetched).
"""
import glob
import json
import os
import socket
import sys
import sysconfig

_connect = socket.socket.connect


def loopback_only(sock, address):
    host = address[0] if isinstance(address, tuple) else address
    if not (str(host).startswith("127.") or host in ("::1", "localhost")):
        raise OSError(f"refused: {host} is not loopback")
    return _connect(sock, address)


socket.socket.connect = loopback_only

from onvif import ONVIFCamera  # noqa: E402


def wsdl_dir():
    import onvif
    candidates = [os.path.join(os.path.dirname(os.path.dirname(onvif.__file__)), "wsdl"),
                  os.path.join(sysconfig.get_paths()["purelib"], "wsdl")]
    candidates += glob.glob(os.path.join(sys.prefix, "lib", "python3*", "site-packages", "wsdl"))
    candidates += glob.glob("/usr/local/lib/python3*/*-packages/wsdl")
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, "devicemgmt.wsdl")):
            return folder
    raise SystemExit("onvif-zeep's wsdl folder not found (pip install onvif-zeep)")


host, port, user, password = sys.argv[1:5]
adjust = "--no-adjust" not in sys.argv
try:
    camera = ONVIFCamera(host, int(port), user, password, wsdl_dir(), adjust_time=adjust)
    info = camera.devicemgmt.GetDeviceInformation()
    print(json.dumps({"ok": True, "serial": info.SerialNumber, "firmware": info.FirmwareVersion, "model": info.Model}))
except Exception as error:  # noqa: BLE001 - the test reads the reason
    print(json.dumps({"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}))
