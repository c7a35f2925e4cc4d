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
    kind: str
    id: str
    description: str = ""
    max_neurons: int = 512
    max_inputs: int = 256
    max_layers: int = 8
    weight_bits: int | None = None  # None = continuous weights
    observables: tuple[str, ...] = ("SPIKES",)  # SPIKES, MEMBRANE, PEAK, INTERNALS
    membrane_bits: int | None = None  # None = full precision
    time_scale: float = 1.0  # model ms per device ms
    max_batch_size: int = 1000
    integrations: tuple[str, ...] = ()  # EXACT / GRID if the device simulates them


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


@dataclass(frozen=True)
class Projection:
    """source (an Input or neuron node) → affine → target (a neuron node)."""

    source: str
    affine: str
    target: str


@dataclass(frozen=True)
class Network:
    """The configured NIR graph. `inputs` are the Input nodes (the one named `in` takes each Run's
    spikes; those in `constant_inputs` spike once per sample at the given time, e.g. a bias)."""

    inputs: dict[str, int]
    constant_inputs: dict[str, float]
    neurons: dict[str, NeuronNode]
    affines: dict[str, AffineNode]
    projections: tuple[Projection, ...]
    duration_ms: float
    dt_ms: float
    steps: int
    integration: str
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
    """Events for a batch: sample s owns events offsets[s] … offsets[s+1) (index = channel or neuron)."""

    samples: int
    offsets: np.ndarray  # int [samples + 1]
    index: np.ndarray  # int [events]
    time_ms: np.ndarray  # f64 [events]

    def sample(self, s: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = int(self.offsets[s]), int(self.offsets[s + 1])
        return self.index[a:b], self.time_ms[a:b]


@dataclass
class RunResult:
    """What the device observed. spikes: per spiking layer, (sample, neuron, time_ms) event arrays;
    membrane: per layer asked for (membrane or peak), values [samples, steps + 1, size] on the
    network's grid t = k·dt_ms."""

    spikes: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    membrane: dict[str, np.ndarray] = field(default_factory=dict)
    # what the device ran with, if it knows (a simulator does): per-neuron values by layer
    # (thresholds without trial noise), and the weights as applied by Affine node; None = unknown
    neurons: dict[str, NeuronNode] | None = None
    applied_weights: dict[str, np.ndarray] | None = None
    device_time_ms: float | None = None
    energy_j: float | None = None
    spike_count: float | None = None
    synaptic_events: float | None = None
    build_ms: float = 0.0
    run_ms: float = 0.0
    read_ms: float = 0.0


@dataclass
class ProbeResult:
    """membrane [repetitions, steps + 1, size] on the network's grid; spikes (repetition, neuron, time_ms)."""

    membrane: np.ndarray
    spikes: tuple[np.ndarray, np.ndarray, np.ndarray]


class Device(abc.ABC):
    """A device SpikeSweep can drive. Calls come one at a time (the server serialises them)."""

    @abc.abstractmethod
    def capabilities(self) -> Capabilities: ...

    @abc.abstractmethod
    def configure(self, network: Network) -> tuple[bool, str]:
        """Place the network (weights start at zero); return (ok, reason)."""

    @abc.abstractmethod
    def update_weights(self, weights: dict[str, np.ndarray]) -> None:
        """New [n_out, n_in] weights for the named Affine nodes."""

    @abc.abstractmethod
    def run(self, inputs: SpikeBatch, membrane: list[str]) -> RunResult:
        """A batch of input spike trains (channels of the Input node `in`) through the network;
        return the spikes of every spiking layer and the membrane of the layers in `membrane`."""

    def probe(self, kind: str, layer: str, weight: float, input_times_ms: np.ndarray, duration_ms: float, repetitions: int) -> ProbeResult:
        """Calibration stimuli (REST, PSP, DRIVE) on each neuron of `layer` alone."""
        raise NotImplementedError("this device offers no calibration probes")

    def reset(self) -> None:
        """Back to the state right after configure."""

    def close(self) -> None:
        """End of the session."""
