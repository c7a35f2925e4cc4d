"""SpikeSweep device SDK: put a spiking device behind SpikeSweep's gRPC device protocol.

    from spikesweep_device import Device, serve
    class MyChip(Device): ...          # capabilities, configure, update_weights, run (+ probe)
    server, port = serve(MyChip(), port=50051)
    server.wait_for_termination()

`python -m spikesweep_device serve --backend brian2 --port P` serves the bundled Brian2 device.
"""
from .arrays import ProtocolError
from .backend import AffineNode, Capabilities, Device, DeviceError, Network, NeuronNode, ProbeResult, Projection, RunResult, SpikeBatch
from .server import serve

__all__ = [
    "AffineNode", "Capabilities", "Device", "DeviceError", "Network", "NeuronNode",
    "ProbeResult", "Projection", "ProtocolError", "RunResult", "SpikeBatch", "serve",
]
