"""rnnbook: recurrent neural networks, taught by predicting the next word when counting."""

__version__ = "0.1.0"  # before the imports: modules of the package read it

from .data import LMLoader, Vocab, load_human_numbers, number_to_words, show_batch
from .experiments import RECIPES, Recipe, build, get_recipe, train
from .learner import History, Learner, default_device, set_seed

__all__ = [
    "LMLoader", "Vocab", "load_human_numbers", "number_to_words", "show_batch",
    "RECIPES", "Recipe", "build", "get_recipe", "train",
    "History", "Learner", "default_device", "set_seed",
]
