"""The Brian2 device: the configured CubaLIF network simulated by Brian2, an independent substrate.

Brian2 integrates its own equations with its own clock (numpy code generation, no compiler):

    dI/dt = −I / τ_syn,      dv/dt = (v_leak − v + r·(I + I_ext)) / τ_mem,
    v ≥ v_threshold → spike, v ← v_reset;  a synaptic event of weight w: I ← I + w,

stepped with `exponential_euler` on the device's own clock `dt_ms` (whatever integration the
network asks for: this device is an independent substrate). Input spikes are rounded to that
clock, output spike times fall on it (reported at the middle of the step in which the threshold
was crossed), the membrane is sampled on the network's grid t = k·dt (k = 0…steps).

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

import gc
import time

import numpy as np

from .backend import Capabilities, Device, DeviceError, Network, NeuronNode, ProbeResult, RunResult, SpikeBatch

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
    def __init__(self, dt_ms: float = 0.05, offsets_seed: int | None = None, offset_scale: float = 1.0):
        self.b2 = _brian2()
        self.dt_ms = dt_ms
        self.offsets_seed = offsets_seed
        self.offset_scale = offset_scale if offsets_seed is not None else 0.0
        self.network: Network | None = None
        self.hardware: dict[str, NeuronNode] = {}
        self.weights: dict[str, np.ndarray] = {}
        self.built: dict[int, dict] = {}
        if offsets_seed is not None:
            rng = np.random.default_rng(offsets_seed)
            self.z = {p: rng.standard_normal(MAX_CIRCUITS) for p in OFFSET_SD}

    def capabilities(self) -> Capabilities:
        name = f"brian2:offsets-{self.offsets_seed}x{self.offset_scale:g}" if self.offsets_seed is not None else "brian2:ideal"
        return Capabilities(
            kind="brian2",
            id=name,
            description=f"Brian2 {self.b2.__version__} (numpy target, exponential_euler, dt {self.dt_ms} ms)",
            max_neurons=MAX_CIRCUITS,
            max_inputs=MAX_CIRCUITS,
            max_layers=16,
            observables=("SPIKES", "MEMBRANE", "PEAK", "INTERNALS"),
            max_batch_size=2000,
        )

    # ------------------------------------------------------------ configuration

    def _step_ms(self) -> float:
        return self.dt_ms

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
        grid = network.dt_ms / self.dt_ms
        if abs(grid - round(grid)) > 1e-9:
            return False, f"Configure.dt_ms: {network.dt_ms} ms is not a multiple of the device clock {self.dt_ms} ms"
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

    def _build(self, batch: int, membrane: tuple[str, ...]) -> dict:
        b2 = self.b2
        net = self.network
        assert net is not None
        dt = self._step_ms() * b2.ms
        objects = []
        sources = {}
        for name, size in net.inputs.items():
            gen = b2.SpikeGeneratorGroup(batch * size, [], [] * b2.ms, dt=dt, name=f"in_{name.replace('.', '_')}")
            sources[name] = gen
            objects.append(gen)
        groups = {}
        for name, node in self.hardware.items():
            g = self._group(node, batch, f"pop_{name.replace('.', '_')}")
            g.clock.dt = dt
            groups[name] = g
            sources[name] = g
            objects.append(g)
        synapses = {}
        for p in net.projections:
            n_in, n_out = net.size_of(p.source), net.size_of(p.target)
            s = b2.Synapses(sources[p.source], groups[p.target], "w : 1", on_pre="I_post += w", dt=dt, name=f"syn_{p.affine.replace('.', '_')}")
            b = np.repeat(np.arange(batch), n_in * n_out)
            k = np.tile(np.repeat(np.arange(n_in), n_out), batch)
            m = np.tile(np.tile(np.arange(n_out), n_in), batch)
            s.connect(i=b * n_in + k, j=b * n_out + m)
            pre = np.asarray(s.i[:]) % n_in
            post = np.asarray(s.j[:]) % n_out
            synapses[p.affine] = (s, post, pre)
            objects.append(s)
        spiking = [name for name, n in self.hardware.items() if n.kind == "CubaLIF"]
        monitors = {name: b2.SpikeMonitor(groups[name], name=f"spk_{name.replace('.', '_')}") for name in spiking}
        objects.extend(monitors.values())
        traces = {name: b2.StateMonitor(groups[name], "v", record=True, dt=net.dt_ms * b2.ms, when="start", name=f"v_{name.replace('.', '_')}") for name in membrane}
        objects.extend(traces.values())
        network = b2.Network(*objects)
        network.store("configured")
        # Brian2 runs gc.collect() before every run; move what exists now (sympy's caches, the
        # network) out of the collector's generations so that costs milliseconds, not 0.5 s
        gc.collect()
        gc.freeze()
        return {"net": network, "sources": sources, "groups": groups, "synapses": synapses, "monitors": monitors, "traces": traces}

    def _set_inputs(self, built: dict, batch: int, inputs: SpikeBatch) -> int:
        """Input events (and constant inputs) onto the generators, on the device clock; returns the count."""
        b2 = self.b2
        net = self.network
        assert net is not None
        step = self._step_ms()
        events = 0
        for name, size in net.inputs.items():
            if name in net.constant_inputs:
                index = np.arange(batch * size)
                times = np.full(batch * size, net.constant_inputs[name])
            else:
                sample = np.repeat(np.arange(batch), np.diff(inputs.offsets))
                index = sample * size + inputs.index
                times = inputs.time_ms
            # a generator neuron fires at most once per clock step: keep the first of duplicates
            bins = np.round(times / step).astype(np.int64)
            _, keep = np.unique(np.stack([index, bins]), axis=1, return_index=True)
            built["sources"][name].set_spikes(index[keep], bins[keep] * step * b2.ms)
            events += keep.size
        return events

    def run(self, inputs: SpikeBatch, membrane: list[str]) -> RunResult:
        b2 = self.b2
        net = self.network
        if net is None:
            raise DeviceError("no network configured")
        batch = inputs.samples
        t_build = time.perf_counter()
        key = (batch, tuple(membrane))
        if key not in self.built:
            if len(self.built) >= 4:
                self.built.pop(next(iter(self.built)))
            self.built[key] = self._build(batch, tuple(membrane))
        built = self.built[key]
        network = built["net"]
        network.restore("configured")
        self._set_inputs(built, batch, inputs)
        for name, (syn, post, pre) in built["synapses"].items():
            syn.w[:] = self.weights[name][post, pre]
        step = self._step_ms()
        build_ms = (time.perf_counter() - t_build) * 1000
        t_run = time.perf_counter()
        # long enough for the membrane sample at steps·dt (a StateMonitor records before each step)
        network.run((max(net.duration_ms, net.steps * net.dt_ms) + step) * b2.ms)
        run_ms = (time.perf_counter() - t_run) * 1000
        t_read = time.perf_counter()
        spikes = {}
        count = 0
        for name, mon in built["monitors"].items():
            size = net.neurons[name].size
            idx = np.asarray(mon.i[:], dtype=np.int64)
            t = np.asarray(mon.t[:] / b2.ms, dtype=np.float64) + step / 2
            keep = t <= net.duration_ms
            idx, t = idx[keep], t[keep]
            spikes[name] = (idx // size, idx % size, t)
            count += idx.size
        out = {}
        for name, mon in built["traces"].items():
            size = net.neurons[name].size
            v = np.asarray(mon.v, dtype=np.float64)[:, : net.steps + 1]  # [batch·size, steps + 1]
            out[name] = v.reshape(batch, size, net.steps + 1).transpose(0, 2, 1).copy()
        synaptic = 0.0
        for p in net.projections:
            if p.source in net.inputs:
                fired = batch * net.inputs[p.source] if p.source in net.constant_inputs else inputs.index.size
            else:
                fired = spikes[p.source][0].size if p.source in spikes else 0
            synaptic += fired * net.size_of(p.target)
        read_ms = (time.perf_counter() - t_read) * 1000
        return RunResult(
            spikes=spikes, membrane=out, build_ms=build_ms, run_ms=run_ms, read_ms=read_ms,
            device_time_ms=run_ms, spike_count=float(count), synaptic_events=synaptic,
            neurons=self.hardware, applied_weights=self.weights,
        )

    # ------------------------------------------------------------ calibration probes

    def probe(self, kind: str, layer: str, weight: float, input_times_ms: np.ndarray, duration_ms: float, repetitions: int) -> ProbeResult:
        """Each neuron of `layer` alone: input spikes of `weight` at input_times_ms (none for REST)."""
        b2 = self.b2
        net = self.network
        if net is None:
            raise DeviceError("no network configured")
        hw = self.hardware[layer]
        n = hw.size
        step = self._step_ms()
        g = self._group(hw, repetitions, "probe_group")
        g.clock.dt = step * b2.ms
        objects = [g]
        times = np.asarray(input_times_ms if kind != "REST" else [], dtype=np.float64)
        if times.size:
            bins = np.unique(np.round(times / step).astype(np.int64))
            gen = b2.SpikeGeneratorGroup(1, np.zeros(bins.size, dtype=int), bins * step * b2.ms, dt=step * b2.ms, name="probe_input")
            syn = b2.Synapses(gen, g, on_pre=f"I_post += {float(weight)!r}", dt=step * b2.ms, name="probe_syn")
            syn.connect(i=0, j=np.arange(repetitions * n))
            objects += [gen, syn]
        steps = int(round(duration_ms / net.dt_ms))
        vmon = b2.StateMonitor(g, "v", record=True, dt=net.dt_ms * b2.ms, when="start", name="probe_v")
        smon = b2.SpikeMonitor(g, name="probe_spikes") if hw.kind == "CubaLIF" else None
        objects += [vmon] + ([smon] if smon is not None else [])
        b2.Network(*objects).run((steps * net.dt_ms + step) * b2.ms)
        v = np.asarray(vmon.v, dtype=np.float64)[:, : steps + 1]
        membrane = v.reshape(repetitions, n, steps + 1).transpose(0, 2, 1).copy()
        if smon is not None:
            idx = np.asarray(smon.i[:], dtype=np.int64)
            t = np.asarray(smon.t[:] / b2.ms) + step / 2
            spikes = (idx // n, idx % n, t)
        else:
            spikes = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        return ProbeResult(membrane=membrane, spikes=spikes)

    def reset(self) -> None:
        self.built = {}
