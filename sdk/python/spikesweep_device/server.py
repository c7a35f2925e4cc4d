"""The gRPC side of the SDK: decodes and validates requests for a `Device`, packs its answers.

Errors reach the client as gRPC status codes with a message naming the field:
INVALID_ARGUMENT (a malformed request: ProtocolError), FAILED_PRECONDITION (the device's state:
DeviceError), UNIMPLEMENTED (a probe the device does not offer), INTERNAL (anything else).

The server does the bookkeeping every device shares, so a backend only simulates: spikes come
back as (sample, neuron, time) and are turned into slots here (the k-th spike of a neuron,
at most max_spikes_per_neuron of them), peaks are taken from the membrane on the grid, constant
inputs (bias channels) are the backend's to add (see Network.constant_inputs).
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
from .arrays import ProtocolError, unpack_f64
from .backend import AffineNode, Device, DeviceError, Network, NeuronNode, Projection, SpikeBatch

MAX_MESSAGE_BYTES = 256 * 1024 * 1024
INPUT_NODE = "in"
I32 = np.dtype("<i4")


def unpack_i32(data: bytes, field: str, length: int | None = None) -> np.ndarray:
    if len(data) % 4 != 0:
        raise ProtocolError(f"{field}: {len(data)} bytes is not a whole number of int32 values")
    out = np.frombuffer(data, dtype=I32)
    if length is not None and out.size != length:
        raise ProtocolError(f"{field}: expected {length} int32 values, got {out.size}")
    return out


def f64(a) -> bytes:
    return np.ascontiguousarray(a, dtype="<f8").tobytes()


def i32(a) -> bytes:
    return np.ascontiguousarray(a, dtype=I32).tobytes()


def decode_network(request) -> Network:
    f = "Configure"
    if request.time_unit != "ms":
        raise ProtocolError(f"{f}.time_unit: '{request.time_unit}' is not 'ms'")
    if request.voltage_unit != "model":
        raise ProtocolError(f"{f}.voltage_unit: '{request.voltage_unit}' is not 'model'")
    if not (request.duration_ms > 0 and math.isfinite(request.duration_ms)):
        raise ProtocolError(f"{f}.duration_ms: must be a positive number of ms")
    if not (request.dt_ms > 0 and math.isfinite(request.dt_ms)) or request.steps < 1:
        raise ProtocolError(f"{f}.dt_ms, steps: the observation grid needs dt_ms > 0 and steps ≥ 1")
    if request.max_spikes_per_neuron < 1:
        raise ProtocolError(f"{f}.max_spikes_per_neuron: must be ≥ 1")
    inputs: dict[str, int] = {}
    constant: dict[str, float] = {}
    neurons: dict[str, NeuronNode] = {}
    affines: dict[str, AffineNode] = {}
    names: set[str] = set()
    for k, node in enumerate(request.graph.nodes):
        where = f"{f}.graph.nodes[{k}] ('{node.name}')"
        if not node.name or node.name in names:
            raise ProtocolError(f"{where}.name: empty or not unique")
        names.add(node.name)
        kind = node.WhichOneof("kind")
        if kind == "input":
            inputs[node.name] = node.input.size
            if node.input.HasField("constant_spike_time_ms"):
                constant[node.name] = node.input.constant_spike_time_ms
        elif kind == "output":
            pass
        elif kind == "affine":
            a = node.affine
            w = unpack_f64(a.weight, f"{where}.affine.weight")
            if w.size == 0:
                w = np.zeros(a.n_out * a.n_in)
            elif w.size != a.n_out * a.n_in:
                raise ProtocolError(f"{where}.affine.weight: expected {a.n_out * a.n_in} float64 values, got {w.size}")
            affines[node.name] = AffineNode(node.name, w.reshape(a.n_out, a.n_in).copy())
        elif kind in ("cuba_lif", "cuba_li"):
            m = getattr(node, kind)
            n = m.size
            arr = lambda name: unpack_f64(getattr(m, name), f"{where}.{kind}.{name}", n).copy()  # noqa: E731
            lif = kind == "cuba_lif"
            neurons[node.name] = NeuronNode(
                node.name, "CubaLIF" if lif else "CubaLI", n,
                tau_syn_ms=arr("tau_syn_ms"), tau_mem_ms=arr("tau_mem_ms"), r=arr("r"), v_leak=arr("v_leak"),
                v_threshold=arr("v_threshold") if lif else np.full(n, np.inf),
                v_reset=arr("v_reset") if lif else arr("v_leak"),
            )
            for name in ("tau_syn_ms", "tau_mem_ms"):
                if not np.all(getattr(neurons[node.name], name) > 0):
                    raise ProtocolError(f"{where}.{kind}.{name}: every time constant must be > 0")
        else:
            raise ProtocolError(f"{where}: no node type set")
    if INPUT_NODE not in inputs or INPUT_NODE in constant:
        raise ProtocolError(f"{f}.graph: needs an Input node '{INPUT_NODE}' for the run's spikes")
    into: dict[str, list[str]] = {}
    out_of: dict[str, list[str]] = {}
    for k, e in enumerate(request.graph.edges):
        for end in ("source", "target"):
            if getattr(e, end) not in names:
                raise ProtocolError(f"{f}.graph.edges[{k}].{end}: no node '{getattr(e, end)}'")
        out_of.setdefault(e.source, []).append(e.target)
        into.setdefault(e.target, []).append(e.source)
    projections = []
    for name, a in affines.items():
        src, dst = into.get(name, []), out_of.get(name, [])
        if len(src) != 1 or len(dst) != 1:
            raise ProtocolError(f"{f}.graph: Affine '{name}' needs exactly one incoming and one outgoing edge")
        s, t = src[0], dst[0]
        if s not in inputs and s not in neurons:
            raise ProtocolError(f"{f}.graph: Affine '{name}' must be fed by an Input or neuron node, not '{s}'")
        if t not in neurons:
            raise ProtocolError(f"{f}.graph: Affine '{name}' must feed a CubaLIF/CubaLI node, not '{t}'")
        n_in = inputs[s] if s in inputs else neurons[s].size
        if a.weight.shape != (neurons[t].size, n_in):
            raise ProtocolError(f"{f}.graph: Affine '{name}' is {a.weight.shape[0]}×{a.weight.shape[1]}, its edges need {neurons[t].size}×{n_in}")
        projections.append(Projection(s, name, t))
    try:
        options = json.loads(request.options_json) if request.options_json else {}
    except json.JSONDecodeError as err:
        raise ProtocolError(f"{f}.options_json: not JSON ({err.msg})") from err
    return Network(
        inputs, constant, neurons, affines, tuple(projections), request.duration_ms, request.dt_ms, request.steps,
        pb.Integration.Name(request.integration), request.max_spikes_per_neuron, options,
    )


def decode_spikes(msg, where: str, size: int) -> SpikeBatch:
    offsets = unpack_i32(msg.offsets, f"{where}.offsets", msg.samples + 1)
    index = unpack_i32(msg.index, f"{where}.index")
    times = unpack_f64(msg.times_ms, f"{where}.times_ms", index.size)
    if offsets[0] != 0 or offsets[-1] != index.size or np.any(np.diff(offsets) < 0):
        raise ProtocolError(f"{where}.offsets: must start at 0, not decrease and end at the number of events ({index.size})")
    if index.size and (int(index.min()) < 0 or int(index.max()) >= size):
        raise ProtocolError(f"{where}.index: channel out of range 0…{size - 1}")
    if not np.all(np.isfinite(times)):
        raise ProtocolError(f"{where}.times_ms: every time must be finite")
    return SpikeBatch(msg.samples, offsets.astype(np.int64), index.astype(np.int64), times)


def encode_slots(samples: int, size: int, max_spikes: int, events: tuple[np.ndarray, np.ndarray, np.ndarray]):
    """(sample, neuron, time) events → SpikeTrains in slot order (k-th spike of a neuron; extra spikes dropped)."""
    sample, neuron, t = (np.asarray(x) for x in events)
    order = np.lexsort((t, neuron, sample))
    sample, neuron, t = sample[order].astype(np.int64), neuron[order].astype(np.int64), t[order]
    key = sample * size + neuron
    first = np.r_[True, key[1:] != key[:-1]] if key.size else np.zeros(0, dtype=bool)
    start = np.maximum.accumulate(np.where(first, np.arange(key.size), 0)) if key.size else np.zeros(0, dtype=np.int64)
    k = np.arange(key.size) - start
    keep = k < max_spikes
    sample, neuron, t, k = sample[keep], neuron[keep], t[keep], k[keep]
    offsets = np.searchsorted(sample, np.arange(samples + 1), side="left")
    return pb.SpikeTrains(samples=samples, offsets=i32(offsets), index=i32(neuron * max_spikes + k), times_ms=f64(t))


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

    def _network(self) -> Network:
        if self.network is None:
            raise DeviceError("no network configured (call Configure first)")
        return self.network

    def GetCapabilities(self, request, context):
        def go():
            c = self.device.capabilities()
            msg = pb.Capabilities(
                protocol_version=PROTOCOL_VERSION, kind=c.kind, id=c.id, description=c.description, neuron_model="cuba-lif",
                max_neurons=c.max_neurons, max_inputs=c.max_inputs, max_layers=c.max_layers, observables=list(c.observables),
                time_scale=c.time_scale, max_batch_size=c.max_batch_size, integrations=list(c.integrations),
            )
            if c.weight_bits is not None:
                msg.weight_bits = c.weight_bits
            if c.membrane_bits is not None:
                msg.membrane_bits = c.membrane_bits
            return msg
        return self._call(context, go)

    def Configure(self, request, context):
        def go():
            try:
                network = decode_network(request)
            except ProtocolError as err:
                return pb.ConfigureReply(ok=False, reason=str(err))
            ok, reason = self.device.configure(network)
            self.network = network if ok else None
            return pb.ConfigureReply(ok=ok, reason="" if ok else (reason or "refused"))
        return self._call(context, go)

    def UpdateWeights(self, request, context):
        def go():
            net = self._network()
            weights = {}
            for k, u in enumerate(request.weights):
                a = net.affines.get(u.name)
                if a is None:
                    raise ProtocolError(f"UpdateWeights.weights[{k}].name: no Affine node '{u.name}'")
                w = unpack_f64(u.values, f"UpdateWeights.weights[{k}].values", a.weight.size)
                if not np.all(np.isfinite(w)):
                    raise ProtocolError(f"UpdateWeights.weights[{k}].values: not finite")
                weights[u.name] = w.reshape(a.weight.shape).copy()
            self.device.update_weights(weights)
            return pb.UpdateWeightsReply()
        return self._call(context, go)

    def Run(self, request, context):
        def go():
            net = self._network()
            batch = decode_spikes(request.input, "Run.input", net.inputs[INPUT_NODE])
            caps = self.device.capabilities()
            if caps.max_batch_size and batch.samples > caps.max_batch_size:
                raise ProtocolError(f"Run.input.samples: {batch.samples} exceeds the device's max_batch_size {caps.max_batch_size}")
            for field, names in (("membrane", request.membrane), ("peak", request.peak)):
                for i, name in enumerate(names):
                    if name not in net.neurons:
                        raise ProtocolError(f"Run.{field}[{i}]: no layer '{name}'")
                    offered = "MEMBRANE" if field == "membrane" else "PEAK"
                    if offered not in caps.observables:
                        raise DeviceError(f"Run.{field}: this device does not offer {offered}")
            wanted = list(dict.fromkeys(list(request.membrane) + list(request.peak)))
            t0 = time.perf_counter()
            result = self.device.run(batch, wanted)
            wall_ms = (time.perf_counter() - t0) * 1000
            reply = pb.RunReply(samples=batch.samples)
            empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
            for name, node in net.neurons.items():
                events = result.spikes.get(name, empty)
                reply.spikes.add(layer=name, spikes=encode_slots(batch.samples, node.size, net.max_spikes_per_neuron, events))
            shape = lambda name: (batch.samples, net.steps + 1, net.neurons[name].size)  # noqa: E731
            for name in wanted:
                v = result.membrane.get(name)
                if v is None or v.shape != shape(name):
                    raise DeviceError(f"device returned membrane['{name}'] of shape {None if v is None else v.shape}, needs {shape(name)}")
            for name in request.membrane:
                reply.membrane.add(layer=name, values=f64(result.membrane[name]))
            for name in request.peak:
                v = result.membrane[name]
                reply.peak.add(layer=name, values=f64(v.max(axis=1)), steps=i32(v.argmax(axis=1)))
            if request.internals and "INTERNALS" in caps.observables:
                if result.neurons is None or result.applied_weights is None:
                    raise DeviceError("the device offers INTERNALS but returned none")
                self._internals(reply.internals, net, result, batch.samples)
            if result.spike_count is not None or result.synaptic_events is not None:
                reply.activity.spikes = result.spike_count or 0.0
                reply.activity.synaptic_events = result.synaptic_events or 0.0
            if result.device_time_ms is not None:
                reply.device_time_ms = result.device_time_ms
            if result.energy_j is not None:
                reply.energy_j = result.energy_j
            reply.timings.build_ms = result.build_ms
            reply.timings.run_ms = result.run_ms or wall_ms
            reply.timings.read_ms = result.read_ms
            return reply
        return self._call(context, go)

    @staticmethod
    def _internals(msg, net: Network, result, samples: int) -> None:
        """Per layer: its neurons' values, each presentation's thresholds, and its input weight
        matrix as applied, [size × inputs] with the bias Affine's column last (device.proto)."""
        for name, node in net.neurons.items():
            hw = result.neurons[name]
            msg.neurons.add(layer=name, v_threshold=f64(hw.v_threshold), v_leak=f64(hw.v_leak), v_reset=f64(hw.v_reset), tau_mem_ms=f64(hw.tau_mem_ms), tau_syn_ms=f64(hw.tau_syn_ms))
            if node.kind == "CubaLIF":
                msg.thresholds.add(layer=name, values=f64(np.tile(hw.v_threshold, samples)))
            into = [p for p in net.projections if p.target == name]
            main = [p for p in into if p.source not in net.constant_inputs]
            bias = [p for p in into if p.source in net.constant_inputs]
            if len(main) == 1 and len(bias) <= 1:
                w = result.applied_weights[main[0].affine]
                if bias:
                    w = np.concatenate([w, result.applied_weights[bias[0].affine]], axis=1)
                msg.weights.add(name=main[0].affine, values=f64(w))

    def Probe(self, request, context):
        def go():
            net = self._network()
            if request.layer not in net.neurons:
                raise ProtocolError(f"Probe.layer: no layer '{request.layer}'")
            if request.repetitions < 1:
                raise ProtocolError("Probe.repetitions: must be ≥ 1")
            if not request.duration_ms > 0:
                raise ProtocolError("Probe.duration_ms: must be > 0")
            kind = pb.ProbeKind.Name(request.kind)
            if kind == "PROBE_KIND_UNSPECIFIED":
                raise ProtocolError("Probe.kind: not set")
            times = unpack_f64(request.input_times_ms, "Probe.input_times_ms")
            r = self.device.probe(kind, request.layer, request.weight, times, request.duration_ms, request.repetitions)
            size = net.neurons[request.layer].size
            steps = r.membrane.shape[1] - 1
            return pb.ProbeReply(
                size=size, steps=steps, dt_ms=net.dt_ms, membrane=f64(r.membrane),
                spikes=encode_slots(request.repetitions, size, net.max_spikes_per_neuron, r.spikes),
            )
        return self._call(context, go)

    def Reset(self, request, context):
        return self._call(context, lambda: (self.device.reset(), pb.ResetReply())[1])

    def GetState(self, request, context):
        return self._call(context, lambda: pb.DeviceState(json="null"))

    def SetState(self, request, context):
        return self._call(context, lambda: pb.SetStateReply())

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
