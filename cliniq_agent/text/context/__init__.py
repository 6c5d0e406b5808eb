"""ConText-style assertion engine (negation, ruled-out, history, hypothetical, possible, family /
other experiencer, vaccination-against, planned) for en/es/pt/fr/vi, rules in kb/context/."""

from .engine import AssertionResult, ContextEngine, Modifier
from .rules import Category, Direction, RuleError

__all__ = ["AssertionResult", "Category", "ContextEngine", "Direction", "Modifier", "RuleError"]
