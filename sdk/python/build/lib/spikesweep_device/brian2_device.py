"""The Brian2 device: the configured CubaLIF network simulated by Brian2, an independent substrate.

Brian2 integrates its own equations with its own clock (numpy code generation, no compiler):

    dI/dt = −I / τ_syn,      dv/dt = (v_leak − v + r·(I + I_ext)) / τ_mem,
    v ≥ v_threshold → spike, v ← v_reset;  a synaptic event of weight w: I ← I + w,

stepped with `exponential_euler` on a grid of `dt_ms` (the network's own step when it states
one, else the device's clock). Spike times therefore fall on that grid; they are reported at
the middle of the step in which the threshold was crossed.

A batch is simulated in one Brian2 run: each population is replicated per sample and the
synapses connect only within a sample (block-diagonal), so B samples cost one network of B
copies. Networks are built once per batch size and reset with store/restore.

Optional per-neuron parameter offsets model an uncalibrated device: neuron circuit c (nodes laid
out in graph order) draws standard normals z from `numpy.random.default_rng(offsets_seed)` and,
with the span s = v_threshold − v_leak of its configured values,

    v_threshold += σ_ϑ·s·z,  v_leak += σ_L·s·z,  v_reset += σ_r·s·z,  τ ← τ·max(0.1, 1 + σ_τ·z),

σ = (0.031, 0.02, 0.02, 0.10, 0.10) × offset_scale (the emulated chip's default spread).
"""
from __future__ import annotations

import time

import numpy as np

from .backend import Capabilities, Device, DeviceError, Gridded, Network, NeuronNode, ProbeResult, RunResult, SpikeBatch

OFFSET_SD = {"v_threshold": 0.031, "v_leak": 0.02, "v_reset": 0.02, "tau_mem_ms": 0.10, "tau_syn_ms": 0.10}
MAX_CIRCUITS = 4096
PROBE_KINDS = ("REST", "CLAMP_RELEASE", "SYNAPTIC_EVENT", "CURRENT_STEP")

EQUATIONS = """
dv/dt = (v_l - v + r * (I + I_ext)) / tau_m : 1
dI/dt = -I / tau_s : 1
tau_m : second (constant)
tau_s : second (constant)
v_l : 1 (constant)
v_th : 1 (constant)
v_r : 1 (constant)
r : 1 (constant)
I_ext : 1 (constant)
"""


def _brian2():
    import brian2 as b2

    b2.prefs.codegen.target = "numpy"
    b2.prefs.core.default_float_dtype = np.float64
    b2.BrianLogger.log_level_error()
    return b2


class Brian2Device(Device):
    def __init__(self, dt_ms: float = 0.05, offsets_seed: int | None = None, offset_scale: float = 1.0, sample_period_ms: float = 1.0):
        self.b2 = _brian2()
        self.dt_ms = dt_ms
        self.offsets_seed = offsets_seed
        self.offset_scale = offset_scale if offsets_seed is not None else 0.0
        self.sample_period_ms = sample_period_ms
        self.network: Network | None = None
        self.hardware: dict[str, NeuronNode] = {}
        self.weights: dict[str, np.ndarray] = {}
        self.built: dict[int, dict] = {}
        if offsets_seed is not None:
            rng = np.random.default_rng(offsets_seed)
            self.z = {p: rng.standard_normal(MAX_CIRCUITS) for p in OFFSET_SD}

    def capabilities(self) -> Capabilities:
        name = f"brian2/offsets-{self.offsets_seed}x{self.offset_scale:g}" if self.offsets_seed is not None else "brian2/ideal"
        return Capabilities(
            device_id=name,
            description=f"Brian2 {self.b2.__version__} (numpy target, exponential_euler, dt {self.dt_ms} ms)",
            max_neurons=MAX_CIRCUITS,
            observables=("SPIKE_TIMES", "MEMBRANE_SAMPLES", "SYNAPTIC_CURRENT_SAMPLES"),
            sample_period_ms=self.sample_period_ms,
            time_scale=1.0,
            probe_kinds=PROBE_KINDS,
            time_resolution_ms=self.dt_ms,
        )

    # ------------------------------------------------------------ configuration

    def _step_ms(self) -> float:
        assert self.network is not None
        return self.network.dt_ms if self.network.dt_ms > 0 else self.dt_ms

    def _with_offsets(self, node: NeuronNode, first_circuit: int) -> NeuronNode:
        if self.offsets_seed is None:
            return node
        c = slice(first_circuit, first_circuit + node.size)
        s = self.offset_scale
        span = np.where(np.isfinite(node.v_threshold), node.v_threshold - node.v_leak, 1.0)
        gain = lambda p: np.maximum(0.1, 1 + OFFSET_SD[p] * s * self.z[p][c])  # noqa: E731
        return NeuronNode(
            node.name, node.kind, node.size,
            tau_syn_ms=node.tau_syn_ms * gain("tau_syn_ms"),
            tau_mem_ms=node.tau_mem_ms * gain("tau_mem_ms"),
            r=node.r,
            v_leak=node.v_leak + OFFSET_SD["v_leak"] * s * span * self.z["v_leak"][c],
            v_threshold=node.v_threshold + OFFSET_SD["v_threshold"] * s * span * self.z["v_threshold"][c],
            v_reset=node.v_reset + OFFSET_SD["v_reset"] * s * span * self.z["v_reset"][c],
        )

    def configure(self, network: Network) -> tuple[bool, str]:
        total = sum(n.size for n in network.neurons.values())
        if total > MAX_CIRCUITS:
            return False, f"graph: {total} neurons, the device has {MAX_CIRCUITS}"
        for a in network.affines.values():
            if a.bias is not None and np.any(a.bias != 0):
                return False, f"graph: Affine '{a.name}' has a bias; this device adds no constant current"
        self.network = network
        self.hardware = {}
        circuit = 0
        for name, node in network.neurons.items():
            self.hardware[name] = self._with_offsets(node, circuit)
            circuit += node.size
        self.weights = {name: a.weight.copy() for name, a in network.affines.items()}
        self.built = {}
        return True, ""

    def update_weights(self, weights: dict[str, np.ndarray]) -> None:
        if self.network is None:
            raise DeviceError("no network configured")
        self.weights.update(weights)

    # ------------------------------------------------------------ running

    def _group(self, node: NeuronNode, copies: int, name: str):
        b2 = self.b2
        spiking = node.kind == "CubaLIF"
        g = b2.NeuronGroup(
            copies * node.size, EQUATIONS, method="exponential_euler",
            threshold="v >= v_th" if spiking else None, reset="v = v_r" if spiking else None, name=name,
        )
        tile = lambda x: np.tile(np.asarray(x, dtype=np.float64), copies)  # noqa: E731
        g.tau_m = tile(node.tau_mem_ms) * b2.ms
        g.tau_s = tile(node.tau_syn_ms) * b2.ms
        g.v_l = tile(node.v_leak)
        g.v_th = tile(np.where(np.isfinite(node.v_threshold), node.v_threshold, 1e300))
        g.v_r = tile(node.v_reset)
        g.r = tile(node.r)
        g.v = tile(node.v_leak)
        return g

    def _build(self, batch: int) -> dict:
        b2 = self.b2
        net = self.network
        assert net is not None
        dt = self._step_ms() * b2.ms
        objects = []
        sources = {}
        for name, size in net.inputs.items():
            gen = b2.SpikeGeneratorGroup(batch * size, [], [] * b2.ms, dt=dt, name=f"in_{name}")
            sources[name] = gen
            objects.append(gen)
        groups = {}
        for name, node in self.hardware.items():
            g = self._group(node, batch, f"pop_{name}")
            g.clock.dt = dt
            groups[name] = g
            sources[name] = g
            objects.append(g)
        synapses = {}
        for p in net.projections:
            n_in, n_out = net.size_of(p.source), net.size_of(p.target)
            s = b2.Synapses(sources[p.source], groups[p.target], "w : 1", on_pre="I_post += w", dt=dt, name=f"syn_{p.affine}")
            b = np.repeat(np.arange(batch), n_in * n_out)
            k = np.tile(np.repeat(np.arange(n_in), n_out), batch)
            m = np.tile(np.tile(np.arange(n_out), n_in), batch)
            s.connect(i=b * n_in + k, j=b * n_out + m)
            pre = np.asarray(s.i[:]) % n_in
            post = np.asarray(s.j[:]) % n_out
            synapses[p.affine] = (s, post, pre)
            objects.append(s)
        monitors = {name: b2.SpikeMonitor(g, name=f"spk_{name}") for name, g in groups.items() if self.hardware[name].kind == "CubaLIF"}
        objects.extend(monitors.values())
        network = b2.Network(*objects)
        network.store("configured")
        return {"net": network, "sources": sources, "groups": groups, "synapses": synapses, "monitors": monitors}

    def run(self, inputs: dict[str, SpikeBatch], record_spikes: list[str], record_membrane: list[str]) -> RunResult:
        b2 = self.b2
        net = self.network
        if net is None:
            raise DeviceError("no network configured")
        batch = next(iter(inputs.values())).batch_size
        t_build = time.perf_counter()
        if batch not in self.built:
            self.built = {k: v for k, v in self.built.items() if k != batch}
            self.built[batch] = self._build(batch)
        built = self.built[batch]
        network = built["net"]
        network.restore("configured")
        step = self._step_ms()
        for name, s in inputs.items():
            size = net.inputs[name]
            sample = np.repeat(np.arange(batch), np.diff(s.offsets.astype(np.int64)))
            index = sample * size + s.neuron.astype(np.int64)
            # one event per generator neuron and step: merge duplicates by keeping the first
            bins = np.round(s.time_ms / step).astype(np.int64)
            _, keep = np.unique(np.stack([index, bins]), axis=1, return_index=True)
            built["sources"][name].set_spikes(index[keep], bins[keep] * step * b2.ms)
        for name, (syn, post, pre) in built["synapses"].items():
            syn.w[:] = self.weights[name][post, pre]
        state_monitors = {}
        period = net.dt_ms if net.dt_ms > 0 else self.sample_period_ms
        for name in record_membrane:
            mon = b2.StateMonitor(built["groups"][name], "v", record=True, dt=period * b2.ms, when="end", name=f"v_{name}_{len(network.objects)}")
            network.add(mon)
            state_monitors[name] = mon
        build_ms = (time.perf_counter() - t_build) * 1000
        t_run = time.perf_counter()
        network.run(net.duration_ms * b2.ms)
        run_ms = (time.perf_counter() - t_run) * 1000
        t_read = time.perf_counter()
        spikes = {}
        events = 0
        for name in record_spikes:
            if name not in built["monitors"]:
                raise DeviceError(f"record_spikes: '{name}' is not a spiking node")
            mon = built["monitors"][name]
            size = net.neurons[name].size
            idx = np.asarray(mon.i[:], dtype=np.int64)
            t = np.asarray(mon.t[:] / b2.ms, dtype=np.float64) + step / 2
            per_sample = []
            sample_of = idx // size
            for b in range(batch):
                sel = sample_of == b
                per_sample.append((idx[sel] % size, t[sel]))
            spikes[name] = SpikeBatch.from_lists(per_sample)
            events += idx.size
        membrane = {}
        samples = 0
        for name, mon in state_monitors.items():
            size = net.neurons[name].size
            v = np.asarray(mon.v, dtype=np.float64)  # [batch·size, steps]
            steps = v.shape[1]
            membrane[name] = Gridded(v.reshape(batch, size, steps).transpose(0, 2, 1).copy(), t0_ms=step, period_ms=period)
            samples += v.size
            network.remove(mon)
        synaptic = 0.0
        for p in net.projections:
            src = p.source
            count = sum(len(s.time_ms) for n, s in inputs.items() if n == src) if src in net.inputs else (len(built["monitors"][src].i) if src in built["monitors"] else 0)
            synaptic += count * net.size_of(p.target)
        read_ms = (time.perf_counter() - t_read) * 1000
        return RunResult(
            spikes=spikes, membrane=membrane, build_ms=build_ms, run_ms=run_ms, read_ms=read_ms,
            hardware_time_ms=batch * net.duration_ms, synaptic_events=synaptic, readout_bytes=4 * events + 8 * samples,
        )

    # ------------------------------------------------------------ calibration probes

    def probe(self, node: str, kind: str, level: float, repeats: int, duration_ms: float) -> ProbeResult:
        b2 = self.b2
        if self.network is None:
            raise DeviceError("no network configured")
        model = self.network.neurons[node]
        hw = self.hardware[node]
        n = hw.size
        dt = self._step_ms()
        g = self._group(hw, repeats, f"probe_{node}")
        g.clock.dt = dt * b2.ms
        span = np.where(np.isfinite(model.v_threshold), model.v_threshold - model.v_leak, 1.0)
        if kind == "CLAMP_RELEASE":
            g.v = np.tile(model.v_leak + level * span, repeats)
        elif kind == "SYNAPTIC_EVENT":
            g.I = level
        elif kind == "CURRENT_STEP":
            g.I_ext = level
        period = self.sample_period_ms
        vmon = b2.StateMonitor(g, ["v", "I"], record=True, dt=period * b2.ms, when="start")
        smon = b2.SpikeMonitor(g) if hw.kind == "CubaLIF" else None
        objects = [g, vmon] + ([smon] if smon is not None else [])
        b2.Network(*objects).run(duration_ms * b2.ms)
        shape = lambda x: np.asarray(x, dtype=np.float64).reshape(repeats, n, -1).transpose(0, 2, 1).copy()  # noqa: E731
        per_sample = []
        if smon is not None:
            idx = np.asarray(smon.i[:], dtype=np.int64)
            t = np.asarray(smon.t[:] / b2.ms) + dt / 2
            for r in range(repeats):
                sel = idx // n == r
                per_sample.append((idx[sel] % n, t[sel]))
        else:
            per_sample = [(np.zeros(0), np.zeros(0))] * repeats
        return ProbeResult(
            membrane=Gridded(shape(vmon.v), t0_ms=0.0, period_ms=period),
            current=Gridded(shape(vmon.I), t0_ms=0.0, period_ms=period, observable="SYNAPTIC_CURRENT_SAMPLES"),
            spikes=SpikeBatch.from_lists(per_sample),
        )

    def reset(self) -> None:
        self.built = {}
