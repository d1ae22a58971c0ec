"""The biaxial LSTM of DeepJ (Mao, Shin & Cottrell, arXiv 1801.00887; the lecture's L4 figure), as
intended rather than as its public code computes it: a time-axis LSTM applied to every pitch with
the same weights, then a note-axis LSTM that runs across the pitches of each frame, low to high.
Notation: T frames, B batch, P pitches, F note features, W_t, W_n widths.

A run reads a piano roll x (T+1, B, P) of 0/1 and predicts frames 1..T: logits (T, B, P). The
note at (t, n) is predicted from frames 0..t and, teacher-forced, from frame t+1's notes below n
(so the model is not causal along dim 0 in the per-system checks' sense, and says so).

Note features at frame t and pitch n (options; DeepJ has all of them):
    the note itself   x[t, n]                                                          always
    position          n / P, the absolute pitch                                        ``position``
    pitch class       one-hot of n mod 12                                              ``pitch_class``
    bins              the number of notes of n's pitch class sounding in frame t (DeepJ's
                      "pitch_bins" as intended: its code reshapes a (P, B, T) tensor to (B, T, P)
                      without a transpose, which mixes batch items and frames, future ones too)  ``bins``
    convolution       tanh of a convolution over frame t's pitch axis, ``conv`` taps, circular or
                      zero padding (DeepJ: 24 taps, zero 'same' padding)                  ``conv``, ``padding``
    beat              one-hot of t mod ``beat`` (DeepJ: 16)                            ``beat``
With the position off, circular padding and P a multiple of 12, every feature commutes with a
circular pitch shift, and so does the time axis (its weights are shared over pitch): the exact
equivariance the claims check. The pitch-class one-hot commutes only with shifts by octaves.

``layout="dense"`` is the comparison: one LSTM over the whole frame (the P notes and the frame's
features flattened), independent logits per pitch, no weight sharing over pitch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import choice, positive_int
from .spec import System

PADDINGS = ("circular", "zeros")
LAYOUTS = ("biaxial", "dense")


@dataclass(frozen=True)
class BiaxialConfig:
    """A biaxial (or dense) LSTM over piano rolls of ``pitches`` notes (module docstring)."""

    pitches: int = 24  # P
    layout: str = "biaxial"  # "biaxial" (time axis shared over pitch, then a note axis) or "dense"
    time_width: int = 24  # W_t: units of each time-axis LSTM layer (dense: of the frame LSTM)
    time_layers: int = 2
    note_width: int = 16  # W_n: units of each note-axis LSTM layer (biaxial only)
    note_layers: int = 2
    position: bool = False  # the absolute pitch n / P (breaks transposition equivariance)
    pitch_class: bool = False  # a one-hot of n mod 12 (equivariant under octave shifts only)
    bins: bool = True  # the count of sounding notes of n's pitch class in the frame
    conv: int = 0  # taps of a convolution over the frame's pitch axis; 0: none
    conv_channels: int = 4
    padding: str = "circular"  # the convolution's padding over pitch: "circular" or "zeros"
    beat: int = 0  # frames per bar for a one-hot of t mod beat; 0: none

    def __post_init__(self) -> None:
        choice(self.layout, LAYOUTS, "biaxial layout", "layouts")
        choice(self.padding, PADDINGS, "padding", "paddings")
        for name in ("pitches", "time_width", "time_layers", "note_width", "note_layers", "conv_channels"):
            positive_int(getattr(self, name), f"BiaxialConfig.{name}")
        for name in ("conv", "beat"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"BiaxialConfig.{name} must be a non-negative int (0: off), got {value!r}")
        if (self.bins or self.pitch_class) and self.pitches % 12:
            raise ValueError(f"pitch-class features need whole octaves: pitches must be a multiple of 12, got "
                             f"{self.pitches}")

    @property
    def in_dim(self) -> int:
        return self.pitches

    @property
    def features(self) -> int:
        """F: note features per (t, n)."""
        return (1 + self.position + 12 * self.pitch_class + self.bins + (self.conv_channels if self.conv else 0)
                + self.beat)


class BiaxialLSTM(nn.Module):
    def __init__(self, cfg: BiaxialConfig):
        super().__init__()
        self.cfg = cfg
        if cfg.conv:
            self.conv = nn.Conv1d(1, cfg.conv_channels, cfg.conv, padding=cfg.conv // 2, padding_mode=cfg.padding,
                                  bias=True)
        if cfg.layout == "biaxial":
            self.time_lstm = nn.LSTM(cfg.features, cfg.time_width, cfg.time_layers)
            self.note_lstm = nn.LSTM(cfg.time_width + 1, cfg.note_width, cfg.note_layers)
            self.out = nn.Linear(cfg.note_width, 1)
        else:
            self.time_lstm = nn.LSTM(cfg.pitches * cfg.features, cfg.time_width, cfg.time_layers)
            self.out = nn.Linear(cfg.time_width, cfg.pitches)

    def note_features(self, frames: torch.Tensor) -> torch.Tensor:
        """frames (T, B, P) -> features (T, B, P, F), in the order of the module docstring."""
        cfg, (T, B, P) = self.cfg, frames.shape
        out = [frames.unsqueeze(-1)]
        pitch = torch.arange(P, device=frames.device)
        if cfg.position:
            out.append((pitch / P).expand(T, B, P).unsqueeze(-1))
        if cfg.pitch_class:
            out.append(F.one_hot(pitch % 12, 12).to(frames.dtype).expand(T, B, P, 12))
        if cfg.bins:
            per_class = frames.reshape(T, B, P // 12, 12).sum(2)  # (T, B, 12): notes sounding per pitch class
            out.append(per_class[..., pitch % 12].unsqueeze(-1))
        if cfg.conv:
            c = self.conv(frames.reshape(T * B, 1, P))[..., :P]  # (T B, C, P); an even kernel's extra tap dropped
            out.append(torch.tanh(c).reshape(T, B, -1, P).transpose(2, 3))
        if cfg.beat:
            beat = F.one_hot(torch.arange(T, device=frames.device) % cfg.beat, cfg.beat).to(frames.dtype)
            out.append(beat[:, None, None, :].expand(T, B, P, cfg.beat))
        return torch.cat(out, -1)

    def time_axis(self, frames: torch.Tensor) -> torch.Tensor:
        """The time-axis states: frames (T, B, P) -> (T, B, P, W_t), one LSTM shared over pitch
        (biaxial layout)."""
        T, B, P = frames.shape
        f = self.note_features(frames)  # (T, B, P, F)
        h, _ = self.time_lstm(f.reshape(T, B * P, -1))  # every pitch a sequence of its own
        return h.reshape(T, B, P, -1)

    def forward(self, roll: torch.Tensor) -> torch.Tensor:
        frames, following = roll[:-1], roll[1:]  # (T, B, P): inputs, and the frames predicted
        T, B, P = frames.shape
        if self.cfg.layout == "dense":
            h, _ = self.time_lstm(self.note_features(frames).reshape(T, B, -1))  # (T, B, W_t)
            return self.out(h)  # (T, B, P)
        h = self.time_axis(frames)  # (T, B, P, W_t)
        below = F.pad(following, (1, 0))[..., :P]  # the next frame's note one pitch lower (0 below the lowest)
        notes = torch.cat([h, below.unsqueeze(-1)], -1)  # (T, B, P, W_t + 1)
        g, _ = self.note_lstm(notes.permute(2, 0, 1, 3).reshape(P, T * B, -1))  # along pitch, low to high
        return self.out(g).reshape(P, T, B).permute(1, 2, 0)  # (T, B, P)


def examples() -> list:
    from ..tasks.chorale import ChoraleTask

    task = ChoraleTask(length=6, batch=2)
    return [(BiaxialConfig(time_width=5, note_width=4, time_layers=1, note_layers=1), task),
            (BiaxialConfig(time_width=5, note_width=4, position=True, pitch_class=True, conv=5, padding="zeros",
                           beat=4), task),
            (BiaxialConfig(layout="dense", time_width=6, conv=3), task)]


NAME = "biaxial_lstm"  # its key in systems.SYSTEMS
# no batched forward: nn.LSTM loops in C++ and cannot be member-batched by vmap; runs use the plain engine.
# causal: the dense layout reads frames 0..t only; the biaxial one also reads frame t+1 below each note
SYSTEM = System(config=BiaxialConfig, module=BiaxialLSTM, causal=lambda cfg: cfg.layout == "dense", examples=examples)
