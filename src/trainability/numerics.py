"""Numerics, set and recorded in one place: what a run's numbers depend on besides its code, its
setting and its seed.

CPU. PyTorch's own kernels, MKL (its matmuls) and oneDNN pick a code path by the processor, and
AVX2 and AVX-512 paths round differently; over hundreds of training steps that moves every run,
and a claim near its level can change verdict between two machines of the same CI (measured: the
same commit gave a claim "holds" on one session's machine and "inconclusive" on the next one's).
So every process that trains pins the code path to AVX2, which every x86-64 CI machine of the
last decade has, before torch chooses: ATEN_CPU_CAPABILITY=avx2 (PyTorch's dispatch), MKL_CBWR=AVX2
(MKL's conditional numerical reproducibility), ONEDNN_MAX_CPU_ISA=AVX2. A value the user set is
kept; TRAINABILITY_NATIVE_CPU=1 pins nothing (faster on AVX-512 machines, machine-dependent
numbers). ``pin_environment`` runs when ``trainability`` is imported, so it takes effect when the
library is imported before torch computes anything (the pytest plugin, scripts that import
trainability first); ``numerics`` records what is in effect, whatever happened.

CUDA. ``pin_environment`` also sets CUBLAS_WORKSPACE_CONFIG=:4096:8 (cuBLAS reads it at its first
call; deterministic algorithms need it), and ``pin_cuda``, at the start of every CUDA run, turns
TF32 off for matmuls and cuDNN (unless the setting asks for it: Setting.precision "tf32"), makes
cuDNN deterministic and asks for deterministic algorithms.

``numerics(device)`` is the record: in each report's header and in every run's store key, so
runs computed under different numerics are never mixed.
"""

from __future__ import annotations

import os

CPU_PINS = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
CUDA_ENV = {"CUBLAS_WORKSPACE_CONFIG": ":4096:8"}
NATIVE = "TRAINABILITY_NATIVE_CPU"


def pin_environment(environ=os.environ) -> dict[str, str]:
    """Set the CPU code-path pins that are not set already (none with TRAINABILITY_NATIVE_CPU=1)
    and CUDA's workspace setting; returns the CPU pins in effect.

    >>> env = {}; pin_environment(env)["MKL_CBWR"], env["CUBLAS_WORKSPACE_CONFIG"]
    ('AVX2', ':4096:8')
    >>> pin_environment({"MKL_CBWR": "AVX512"})["MKL_CBWR"], pin_environment({NATIVE: "1"})
    ('AVX512', {})
    """
    for name, value in CUDA_ENV.items():
        environ.setdefault(name, value)
    if environ.get(NATIVE, "") not in ("", "0"):
        return {}
    for name, value in CPU_PINS.items():
        environ.setdefault(name, value)
    return {name: environ[name] for name in CPU_PINS}


def pin_cuda(allow_tf32: bool = False) -> None:
    """The CUDA numerics every run uses: TF32 off (unless asked for), deterministic cuDNN and
    algorithms. Call before the first CUDA computation of the process."""
    import torch

    torch.backends.cuda.matmul.allow_tf32 = allow_tf32
    torch.backends.cudnn.allow_tf32 = allow_tf32
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True, warn_only=True)


def numerics(device: str = "cpu") -> dict:
    """What is in effect for runs on ``device`` (a torch device string): the CPU kernels' code path
    and pins; on CUDA the GPU, its capability, cuDNN's version and the precision flags."""
    import torch

    out = {"torch": str(torch.__version__), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
           "pins": {name: os.environ.get(name) for name in CPU_PINS}}
    if torch.device(device).type == "cuda" and not torch.cuda.is_available():
        out["gpu"] = None  # a key for runs no process here can compute (a store read on a machine without CUDA)
    elif torch.device(device).type == "cuda":
        index = torch.device(device).index or 0
        out.update(gpu=torch.cuda.get_device_name(index), gpu_capability=list(torch.cuda.get_device_capability(index)),
                   cudnn=torch.backends.cudnn.version(), matmul_tf32=torch.backends.cuda.matmul.allow_tf32,
                   cudnn_tf32=torch.backends.cudnn.allow_tf32, cudnn_deterministic=torch.backends.cudnn.deterministic,
                   deterministic_algorithms=torch.are_deterministic_algorithms_enabled(),
                   cublas_workspace=os.environ.get("CUBLAS_WORKSPACE_CONFIG"))
    return out


def key(device: str = "cpu") -> dict:
    """The part of ``numerics`` a run's store key carries: everything but torch's version (the key
    has it already). On the CPU: the code path in effect."""
    out = numerics(device)
    out.pop("torch")
    return out
