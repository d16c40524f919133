"""Test helpers for arbkit and its plugins: loopback fake venue servers speaking the real protocols.

Nothing here touches the network: every server binds 127.0.0.1 on an ephemeral port.
"""

from arbkit.testing.loopback import Fault, LoopbackServer, Request, Response

__all__ = ["Fault", "LoopbackServer", "Request", "Response"]
