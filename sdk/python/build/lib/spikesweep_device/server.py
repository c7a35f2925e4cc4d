"""The gRPC side of the SDK: decodes and validates requests for a `Device`, packs its answers.

Errors reach the client as gRPC status codes with a message naming the field:
INVALID_ARGUMENT (a malformed request: ProtocolError), FAILED_PRECONDITION (the device's state:
DeviceError), UNIMPLEMENTED (a probe the device does not offer), INTERNAL (anything else).
"""
from __future__ import annotations

import json
import math
import threading
import time
from concurrent import futures

import grpc
import numpy as np

from ._proto import PROTOCOL_VERSION, pb, services
from .arrays import ProtocolError, pack_f64, pack_u32, unpack_f64, unpack_u32
from .backend import AffineNode, Device, DeviceError, Gridded, Network, NeuronNode, Projection, SpikeBatch

MAX_MESSAGE_BYTES = 256 * 1024 * 1024


def decode_network(request) -> Network:
    if request.time_unit not in ("ms", ""):
        raise ProtocolError(f"configure.time_unit: '{request.time_unit}' is not supported (only 'ms')")
    if request.voltage_unit not in ("model", ""):
        raise ProtocolError(f"configure.voltage_unit: '{request.voltage_unit}' is not supported (only 'model')")
    if not (request.duration_ms > 0 and math.isfinite(request.duration_ms)):
        raise ProtocolError("configure.duration_ms: must be a positive number of ms")
    if not (request.dt_ms >= 0 and math.isfinite(request.dt_ms)):
        raise ProtocolError("configure.dt_ms: must be ≥ 0 (0 = continuous time)")
    inputs: dict[str, int] = {}
    neurons: dict[str, NeuronNode] = {}
    affines: dict[str, AffineNode] = {}
    outputs: set[str] = set()
    for k, node in enumerate(request.graph.nodes):
        where = f"graph.nodes[{k}] ('{node.name}')"
        if not node.name or node.name in inputs or node.name in neurons or node.name in affines or node.name in outputs:
            raise ProtocolError(f"{where}.name: empty or not unique")
        kind = node.WhichOneof("kind")
        if kind == "input":
            inputs[node.name] = node.input.size
        elif kind == "output":
            outputs.add(node.name)
        elif kind == "affine":
            a = node.affine
            w = unpack_f64(a.weight, f"{where}.affine.weight", a.n_out * a.n_in).reshape(a.n_out, a.n_in)
            bias = unpack_f64(a.bias, f"{where}.affine.bias", a.n_out) if len(a.bias) else None
            affines[node.name] = AffineNode(node.name, w.copy(), None if bias is None else bias.copy())
        elif kind in ("cuba_lif", "cuba_li"):
            m = getattr(node, kind)
            n = m.size
            arr = lambda f: unpack_f64(getattr(m, f), f"{where}.{kind}.{f}", n).copy()  # noqa: E731
            lif = kind == "cuba_lif"
            neurons[node.name] = NeuronNode(
                node.name,
                "CubaLIF" if lif else "CubaLI",
                n,
                arr("tau_syn_ms"),
                arr("tau_mem_ms"),
                arr("r"),
                arr("v_leak"),
                arr("v_threshold") if lif else np.full(n, np.inf),
                arr("v_reset") if lif else arr("v_leak"),
            )
            for f in ("tau_syn_ms", "tau_mem_ms"):
                if not np.all(getattr(neurons[node.name], f) > 0):
                    raise ProtocolError(f"{where}.{kind}.{f}: every time constant must be > 0")
        else:
            raise ProtocolError(f"{where}: no node type set")
    into: dict[str, list[str]] = {}
    out_of: dict[str, list[str]] = {}
    known = set(inputs) | set(neurons) | set(affines) | outputs
    for k, e in enumerate(request.graph.edges):
        for end in ("source", "target"):
            if getattr(e, end) not in known:
                raise ProtocolError(f"graph.edges[{k}].{end}: no node '{getattr(e, end)}'")
        out_of.setdefault(e.source, []).append(e.target)
        into.setdefault(e.target, []).append(e.source)
    projections = []
    for name, a in affines.items():
        src, dst = into.get(name, []), out_of.get(name, [])
        if len(src) != 1 or len(dst) != 1:
            raise ProtocolError(f"graph: Affine '{name}' needs exactly one incoming and one outgoing edge")
        s, t = src[0], dst[0]
        if s not in inputs and s not in neurons:
            raise ProtocolError(f"graph: Affine '{name}' must be fed by an Input or neuron node, not '{s}'")
        if t not in neurons:
            raise ProtocolError(f"graph: Affine '{name}' must feed a CubaLIF/CubaLI node, not '{t}'")
        n_in = inputs[s] if s in inputs else neurons[s].size
        if a.weight.shape != (neurons[t].size, n_in):
            raise ProtocolError(f"graph: Affine '{name}' has shape {a.weight.shape}, its edges need ({neurons[t].size}, {n_in})")
        projections.append(Projection(s, name, t))
    try:
        options = json.loads(request.options_json) if request.options_json else {}
    except json.JSONDecodeError as err:
        raise ProtocolError(f"configure.options_json: not JSON ({err.msg})") from err
    return Network(inputs, neurons, affines, tuple(projections), request.dt_ms, request.duration_ms, request.max_spikes_per_neuron, options)


def decode_spikes(msg, where: str, size: int) -> SpikeBatch:
    offsets = unpack_u32(msg.offsets, f"{where}.offsets", msg.batch_size + 1)
    neuron = unpack_u32(msg.neuron, f"{where}.neuron")
    times = unpack_f64(msg.time_ms, f"{where}.time_ms", neuron.size)
    if offsets[0] != 0 or offsets[-1] != neuron.size or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise ProtocolError(f"{where}.offsets: must start at 0, not decrease and end at the number of events ({neuron.size})")
    if neuron.size and int(neuron.max()) >= size:
        raise ProtocolError(f"{where}.neuron: index {int(neuron.max())} out of range (node size {size})")
    if not np.all(np.isfinite(times)):
        raise ProtocolError(f"{where}.time_ms: every time must be finite")
    return SpikeBatch(msg.batch_size, offsets, neuron, times)


def encode_spikes(node: str, s: SpikeBatch):
    return pb.SpikeEvents(node=node, batch_size=s.batch_size, offsets=pack_u32(s.offsets), neuron=pack_u32(s.neuron), time_ms=pack_f64(s.time_ms))


def encode_gridded(node: str, g: Gridded):
    b, steps, size = g.values.shape
    return pb.GriddedSamples(node=node, observable=g.observable, batch_size=b, steps=steps, size=size, t0_ms=g.t0_ms, period_ms=g.period_ms, values=pack_f64(g.values))


class DeviceServicer(services.DeviceServicer):
    def __init__(self, device: Device):
        self.device = device
        self.network: Network | None = None
        self.lock = threading.Lock()

    def _call(self, context, fn):
        with self.lock:
            try:
                return fn()
            except ProtocolError as err:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(err))
            except DeviceError as err:
                context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(err))
            except NotImplementedError as err:
                context.abort(grpc.StatusCode.UNIMPLEMENTED, str(err) or "not implemented")

    def GetCapabilities(self, request, context):
        def go():
            c = self.device.capabilities()
            return pb.Capabilities(
                device_id=c.device_id, description=c.description, protocol_version=PROTOCOL_VERSION,
                node_types=list(c.node_types), max_neurons=c.max_neurons, max_fan_in=c.max_fan_in,
                max_weight_steps=c.max_weight_steps, observables=list(c.observables),
                sample_period_ms=c.sample_period_ms, sample_bits=c.sample_bits, time_scale=c.time_scale,
                max_batch_size=c.max_batch_size, energy_measured=c.energy_measured,
                probe_kinds=list(c.probe_kinds), time_resolution_ms=c.time_resolution_ms,
            )
        return self._call(context, go)

    def Configure(self, request, context):
        def go():
            try:
                network = decode_network(request)
            except ProtocolError as err:
                return pb.ConfigureReply(ok=False, reason=str(err))
            ok, reason = self.device.configure(network)
            self.network = network if ok else None
            return pb.ConfigureReply(ok=ok, reason=reason)
        return self._call(context, go)

    def _network(self) -> Network:
        if self.network is None:
            raise DeviceError("no network configured (call Configure first)")
        return self.network

    def UpdateWeights(self, request, context):
        def go():
            net = self._network()
            weights = {}
            for k, u in enumerate(request.updates):
                a = net.affines.get(u.node)
                if a is None:
                    raise ProtocolError(f"updates[{k}].node: no Affine node '{u.node}'")
                weights[u.node] = unpack_f64(u.weight, f"updates[{k}].weight", a.weight.size).reshape(a.weight.shape).copy()
            self.device.update_weights(weights)
            return pb.UpdateWeightsReply(ok=True)
        return self._call(context, go)

    def Run(self, request, context):
        def go():
            net = self._network()
            inputs = {}
            for k, msg in enumerate(request.inputs):
                if msg.node not in net.inputs:
                    raise ProtocolError(f"inputs[{k}].node: no Input node '{msg.node}'")
                inputs[msg.node] = decode_spikes(msg, f"inputs[{k}]", net.inputs[msg.node])
            missing = set(net.inputs) - set(inputs)
            if missing:
                raise ProtocolError(f"inputs: no spikes given for Input node(s) {sorted(missing)}")
            sizes = {s.batch_size for s in inputs.values()}
            if len(sizes) != 1:
                raise ProtocolError(f"inputs: batch sizes differ between Input nodes ({sorted(sizes)})")
            for name in list(request.record_spikes) + list(request.record_membrane):
                if name not in net.neurons:
                    raise ProtocolError(f"record: no neuron node '{name}'")
            record_spikes = list(request.record_spikes) or [n for n, v in net.neurons.items() if v.kind == "CubaLIF"]
            t0 = time.perf_counter()
            result = self.device.run(inputs, record_spikes, list(request.record_membrane))
            wall_ms = (time.perf_counter() - t0) * 1000
            return pb.RunReply(
                spikes=[encode_spikes(n, s) for n, s in result.spikes.items()],
                membrane=[encode_gridded(n, g) for n, g in result.membrane.items()],
                timings=pb.Timings(build_ms=result.build_ms, run_ms=result.run_ms or wall_ms, read_ms=result.read_ms, hardware_time_ms=result.hardware_time_ms),
                energy_j=result.energy_j, synaptic_events=result.synaptic_events, readout_bytes=result.readout_bytes,
            )
        return self._call(context, go)

    def Probe(self, request, context):
        def go():
            net = self._network()
            if request.node not in net.neurons:
                raise ProtocolError(f"probe.node: no neuron node '{request.node}'")
            if request.repeats < 1:
                raise ProtocolError("probe.repeats: must be ≥ 1")
            if not request.duration_ms > 0:
                raise ProtocolError("probe.duration_ms: must be > 0")
            kind = pb.ProbeKind.Name(request.kind)
            if kind == "PROBE_KIND_UNSPECIFIED":
                raise ProtocolError("probe.kind: not set")
            if kind not in self.device.capabilities().probe_kinds:
                raise NotImplementedError(f"probe.kind: this device does not offer {kind}")
            r = self.device.probe(request.node, kind, request.level, request.repeats, request.duration_ms)
            return pb.ProbeReply(
                node=request.node, kind=request.kind, repeats=request.repeats,
                membrane=encode_gridded(request.node, r.membrane),
                current=None if r.current is None else encode_gridded(request.node, r.current),
                spikes=encode_spikes(request.node, r.spikes),
            )
        return self._call(context, go)

    def Reset(self, request, context):
        return self._call(context, lambda: (self.device.reset(), pb.ResetReply())[1])

    def Close(self, request, context):
        def go():
            self.device.close()
            self.network = None
            return pb.CloseReply()
        return self._call(context, go)


def serve(device: Device, port: int = 0, host: str = "127.0.0.1") -> tuple[grpc.Server, int]:
    """Starts serving `device`; returns the server and the bound port (port 0 = any free one)."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES), ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)],
    )
    services.add_DeviceServicer_to_server(DeviceServicer(device), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot listen on {host}:{port}")
    server.start()
    return server, bound
