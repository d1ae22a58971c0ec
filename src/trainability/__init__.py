"""trainability: claims about why neural networks are hard or easy to train, as checks."""

from .inits import INITS, RULES, apply_init, touched
from .models import MODELS, LectureTransformer, TransformerConfig, build_model, n_params
from .runner import Runner, RunResult, Setting, derive_seed, run
from .schedules import Schedule, constant, join, linear, warmup_steps, warmup_then
from .tasks import LectureTask
from .tiers import TIERS, Tier, get_tier
from .verdicts import Design, Outcome, Pair, decide

__all__ = [
    "INITS", "RULES", "apply_init", "touched", "MODELS", "LectureTransformer", "TransformerConfig", "build_model",
    "n_params", "Runner", "RunResult", "Setting", "derive_seed", "run", "Schedule", "constant", "join", "linear",
    "warmup_steps", "warmup_then", "LectureTask", "TIERS", "Tier", "get_tier", "Design", "Outcome", "Pair", "decide",
]
__version__ = "0.1.0"
