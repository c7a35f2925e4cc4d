"""The one class a lab implements to put its device behind the SpikeSweep protocol.

Subclass `Device`, implement `capabilities`, `configure`, `update_weights` and `run` (and `probe`
if the device can run calibration stimuli), then `serve(MyDevice(), port)`. The server
(server.py) decodes and validates every request into the plain numpy types below, so a backend
never sees protocol buffers; whatever it returns is checked and packed the same way.

Units: model milliseconds and model voltage units throughout (see device.proto).
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field

import numpy as np

from .arrays import ProtocolError

NODE_TYPES = ("Input", "Affine", "CubaLIF", "CubaLI", "Output")


class DeviceError(RuntimeError):
    """The device cannot do what was asked in its current state (e.g. Run before Configure)."""


@dataclass(frozen=True)
class Capabilities:
    device_id: str
    description: str = ""
    node_types: tuple[str, ...] = ("Input", "Affine", "CubaLIF", "CubaLI", "Output")
    max_neurons: int = 0
    max_fan_in: int = 0
    max_weight_steps: int = 0
    observables: tuple[str, ...] = ("SPIKE_TIMES",)
    sample_period_ms: float = 0.0
    sample_bits: int = 0
    time_scale: float = 1.0
    max_batch_size: int = 0
    energy_measured: bool = False
    probe_kinds: tuple[str, ...] = ()
    time_resolution_ms: float = 0.0


@dataclass(frozen=True)
class NeuronNode:
    """A CubaLIF (spiking) or CubaLI (read-out, v_threshold = +inf) population; arrays [size]."""

    name: str
    kind: str
    size: int
    tau_syn_ms: np.ndarray
    tau_mem_ms: np.ndarray
    r: np.ndarray
    v_leak: np.ndarray
    v_threshold: np.ndarray
    v_reset: np.ndarray


@dataclass(frozen=True)
class AffineNode:
    name: str
    weight: np.ndarray  # [n_out, n_in]
    bias: np.ndarray | None


@dataclass(frozen=True)
class Projection:
    """source (an Input or neuron node) → affine → target (a neuron node)."""

    source: str
    affine: str
    target: str


@dataclass(frozen=True)
class Network:
    inputs: dict[str, int]
    neurons: dict[str, NeuronNode]
    affines: dict[str, AffineNode]
    projections: tuple[Projection, ...]
    dt_ms: float
    duration_ms: float
    max_spikes_per_neuron: int
    options: dict = field(default_factory=dict)

    def size_of(self, node: str) -> int:
        if node in self.inputs:
            return self.inputs[node]
        if node in self.neurons:
            return self.neurons[node].size
        raise ProtocolError(f"graph: no node '{node}'")


@dataclass(frozen=True)
class SpikeBatch:
    """Events of one node for a batch: sample s owns events offsets[s] … offsets[s+1)."""

    batch_size: int
    offsets: np.ndarray  # u32 [batch_size + 1]
    neuron: np.ndarray  # u32 [events]
    time_ms: np.ndarray  # f64 [events]

    def sample(self, s: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = int(self.offsets[s]), int(self.offsets[s + 1])
        return self.neuron[a:b], self.time_ms[a:b]

    @staticmethod
    def from_lists(per_sample: list[tuple[np.ndarray, np.ndarray]]) -> "SpikeBatch":
        """From (neuron, time) arrays per sample; sorts each sample by time."""
        offsets = np.zeros(len(per_sample) + 1, dtype=np.uint32)
        neurons, times = [], []
        for s, (n, t) in enumerate(per_sample):
            order = np.argsort(t, kind="stable")
            neurons.append(np.asarray(n, dtype=np.uint32)[order])
            times.append(np.asarray(t, dtype=np.float64)[order])
            offsets[s + 1] = offsets[s] + len(order)
        cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dtype=dt)  # noqa: E731
        return SpikeBatch(len(per_sample), offsets, cat(neurons, np.uint32), cat(times, np.float64))


@dataclass(frozen=True)
class Gridded:
    """Samples at t0_ms + k·period_ms; values [batch, steps, size]."""

    values: np.ndarray
    t0_ms: float
    period_ms: float
    observable: str = "MEMBRANE_SAMPLES"


@dataclass
class RunResult:
    spikes: dict[str, SpikeBatch]
    membrane: dict[str, Gridded] = field(default_factory=dict)
    build_ms: float = 0.0
    run_ms: float = 0.0
    read_ms: float = 0.0
    hardware_time_ms: float = 0.0
    energy_j: float = 0.0
    synaptic_events: float = 0.0
    readout_bytes: float = 0.0


@dataclass
class ProbeResult:
    membrane: Gridded
    spikes: SpikeBatch
    current: Gridded | None = None


class Device(abc.ABC):
    """A device SpikeSweep can drive. Calls come one at a time (the server serialises them)."""

    @abc.abstractmethod
    def capabilities(self) -> Capabilities: ...

    @abc.abstractmethod
    def configure(self, network: Network) -> tuple[bool, str]:
        """Place the network; return (ok, reason). A refused network leaves the device unconfigured."""

    @abc.abstractmethod
    def update_weights(self, weights: dict[str, np.ndarray]) -> None:
        """New [n_out, n_in] weights for the named Affine nodes."""

    @abc.abstractmethod
    def run(self, inputs: dict[str, SpikeBatch], record_spikes: list[str], record_membrane: list[str]) -> RunResult:
        """A batch of input spike trains (one SpikeBatch per Input node) through the network."""

    def probe(self, node: str, kind: str, level: float, repeats: int, duration_ms: float) -> ProbeResult:
        raise DeviceError("this device offers no calibration probes")

    def reset(self) -> None:
        """Back to the state right after configure."""

    def close(self) -> None:
        """End of the session."""
