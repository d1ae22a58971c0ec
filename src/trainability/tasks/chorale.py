"""Chorale-like piano rolls with an exact likelihood (the biaxial LSTM's key-transfer claim, L4).

A sequence is in one major key, drawn from ``keys`` (tonic pitch classes; 0 = C, 7 = G, 6 = F#).
Its chords are the key's six diatonic triads (I ii iii IV V vi), sounded in every octave of the
P = 12 x octaves pitches; the first chord is uniform, and every ``change`` frames the chord moves
to one of the key's five other triads, uniformly. The roll x (T+1, B, P) is 0/1; a model predicts
frames 1..T (target x[1:]) with one logit per note, loss the mean binary cross-entropy.

    floor   the loss of the best constant predictor: every note independent with its marginal
            rate (the share of the keys' triads that contain its pitch class), exactly
    bayes_nll(roll)   the generating chain's own loss on a roll, in the same units (nats per note):
            the next frame is certain inside a block; at a change its chord is uniform over the
            five other triads of each key still consistent with the chords so far, mixed by
            that key's posterior (uniform over the consistent keys: every key's chain gives
            each consistent sequence the same probability)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..checks import positive_int

MAJOR = (0, 2, 4, 5, 7, 9, 11)
DEGREES = (0, 1, 2, 3, 4, 5)  # I ii iii IV V vi: the diminished vii is left out


def triads(key: int) -> list[frozenset[int]]:
    """The key's six diatonic triads as pitch-class sets.

    >>> sorted(triads(0)[0]), sorted(triads(0)[4])
    ([0, 4, 7], [2, 7, 11])
    """
    return [frozenset((key + MAJOR[(d + i) % 7]) % 12 for i in (0, 2, 4)) for d in DEGREES]


def _sounding() -> torch.Tensor:
    """(key, degree) -> the 12 pitch classes, 1 where the triad sounds: (12, 6, 12)."""
    table = torch.zeros(12, 6, 12)
    for k in range(12):
        for d, c in enumerate(triads(k)):
            table[k, d, list(c)] = 1.0
    return table


SOUNDING = _sounding()


@dataclass(frozen=True)
class ChoraleTask:
    keys: tuple[int, ...] = (0, 7)  # tonics the sequences are drawn in (C and G: the training keys)
    octaves: int = 2  # P = 12 x octaves
    length: int = 16  # T: frames predicted
    batch: int = 8
    change: int = 4  # frames per chord
    unseen: tuple[int, ...] = (6, 1)  # held-out tonics (F# and C#: C and G transposed by a tritone, so the
    #                                   chain, and its Bayes loss, are the same; their C#, D#, G#, A# never sound in C or G)

    def __post_init__(self) -> None:
        for name in ("octaves", "length", "batch", "change"):
            positive_int(getattr(self, name), f"ChoraleTask.{name}")
        for name in ("keys", "unseen"):
            keys = getattr(self, name)
            if not isinstance(keys, tuple) or not keys or not all(isinstance(k, int) and 0 <= k < 12 for k in keys):
                raise ValueError(f"ChoraleTask.{name} are tonic pitch classes 0..11 (a non-empty tuple), got {keys!r}")

    @property
    def pitches(self) -> int:
        return 12 * self.octaves

    @property
    def in_dim(self) -> int:
        return self.pitches

    @property
    def floor(self) -> float:
        chords = [c for k in self.keys for c in triads(k)]
        rates = [sum(pc in c for c in chords) / len(chords) for pc in range(12)]
        return sum(_entropy(p) for p in rates) / 12

    def sample(self, generator: torch.Generator, device="cpu") -> tuple[torch.Tensor, torch.Tensor]:
        keys = torch.tensor(self.keys)[torch.randint(len(self.keys), (self.batch,), generator=generator)]
        chord = torch.randint(6, (self.batch,), generator=generator)  # (B,) degree of the first chord
        degrees = []
        for t in range(self.length + 1):
            if t and t % self.change == 0:  # move to one of the five other triads
                chord = (chord + 1 + torch.randint(5, (self.batch,), generator=generator)) % 6
            degrees.append(chord)
        frames = SOUNDING[keys.unsqueeze(0), torch.stack(degrees)]  # (T+1, B, 12)
        roll = frames.repeat(1, 1, self.octaves)  # (T+1, B, P)
        return roll.to(device), roll[1:].to(device)

    def loss(self, y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(y, target)

    def bayes_nll(self, roll: torch.Tensor) -> float:
        """The generating chain's mean loss per note on ``roll`` (T+1, B, P) (module docstring)."""
        frames = roll[..., :12]  # every octave is the same
        sets = {k: {c: d for d, c in enumerate(triads(k))} for k in self.keys}
        total = 0.0
        for b in range(roll.shape[1]):
            chords = [frozenset(torch.nonzero(frames[t, b]).flatten().tolist()) for t in range(roll.shape[0])]
            for t in range(1, roll.shape[0]):
                if t % self.change:
                    continue  # certain: the chord holds inside a block
                consistent = [k for k in self.keys if all(c in sets[k] for c in chords[:t])]
                p = sum((chords[t] in sets[k] and chords[t] != chords[t - 1]) / 5 for k in consistent) / len(consistent)
                total += -math.log(p)
        return total / (roll.shape[1] * (roll.shape[0] - 1) * roll.shape[2])

    def describe(self) -> str:
        names = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
        return f"chorale in {'/'.join(names[k] for k in self.keys)}"


def _entropy(p: float) -> float:
    return 0.0 if p in (0.0, 1.0) else -(p * math.log(p) + (1 - p) * math.log(1 - p))
