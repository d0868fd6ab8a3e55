"""rnnbook: recurrent neural networks, taught by predicting the next word when counting."""

# The one place the version is written (before the imports: modules of the package read it).
__version__ = "0.1.0"

from .data import LMLoader, Vocab, load_human_numbers, number_to_words, show_batch
from .experiments import build, train
from .generation import generate
from .learner import History, Learner, default_device, set_seed
from .recipes import RECIPES, Recipe, get_recipe
from .seq2seq import translate

__all__ = [
    "LMLoader", "Vocab", "load_human_numbers", "number_to_words", "show_batch",
    "RECIPES", "Recipe", "build", "get_recipe", "train", "generate",
    "History", "Learner", "default_device", "set_seed", "translate",
]
