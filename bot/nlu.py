"""Understanding one message: normalise → classify → search the FAQ index → entities.

`Interpreter.parse(text)` returns a `Parse`: the ranking that combines the classifier
with the FAQ index, the entities with offsets into the original text, and the fallback
rule's verdict. `Parse.to_rasa()` is Rasa 3.6's `/model/parse` result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.entities import Entity, extract_entities
from bot.fallback import Confidence, FallbackRule, Verdict
from bot.features import prepare
from bot.model import NluModel
from bot.text import normalize
from bot.training_data import FAQ_PREFIX
from faq_index import Hit

__all__ = ["IntentScore", "Interpreter", "Parse"]

RANKING_SIZE = 10
FAQ_CANDIDATES = 5

# A button's payload selects an intent directly, Rasa style: /faq/contact_phone,
# /inform{"topic": "order"}.
_PAYLOAD = re.compile(r"^/(?P<intent>[A-Za-z_][\w/]*)(?P<entities>\{.*\})?$", re.S)


def _one_word(text: str, features: str) -> bool:
    """A one-word message, the only kind whose FAQ answer must be claimed.

    Only one word, and only FAQ answers. In cross-validation, a sixth of the right
    answers to longer messages were unclaimed too (context words make their ranking
    trustworthy), and so were two in five right one-word small-talk and yes/no answers
    (an unseen «اوکیه» or «نخیر»: one word is their usual shape, and the character
    n-grams read such variants well). A Finglish word's features carry its Persian
    reading as a second token, hence the re-count.
    """
    tokens = len(features.split())
    return tokens == 1 or (tokens == 2 and len(normalize(text).split()) == 1)


@dataclass(frozen=True, slots=True)
class IntentScore:
    name: str
    confidence: float

    @property
    def faq_key(self) -> str | None:
        return self.name.removeprefix(FAQ_PREFIX) if self.name.startswith(FAQ_PREFIX) else None

    def to_dict(self) -> dict[str, str | float]:
        return {"name": self.name, "confidence": round(self.confidence, 4)}


@dataclass(frozen=True)
class Parse:
    text: str
    normalized: str
    ranking: list[IntentScore]
    entities: list[Entity]
    verdict: Verdict
    faq_hits: list[Hit] = field(default_factory=list)
    responses: Mapping[str, list[str]] = field(default_factory=dict, repr=False)

    @property
    def intent(self) -> IntentScore:
        return self.ranking[0] if self.ranking else IntentScore("nlu_fallback", 0.0)

    @property
    def understood(self) -> bool:
        return self.verdict.confidence is Confidence.CONFIDENT

    def answer(self) -> str | None:
        """The response for a confident intent that has one (`utter_<intent>`)."""
        if not self.understood:
            return None
        texts = self.responses.get(f"utter_{self.intent.name}")
        return texts[0] if texts else None

    def to_rasa(self) -> dict:
        """Rasa 3.6's parse result: retrieval intents appear as `faq` with the full name
        in `full_retrieval_intent_name` and the answer in `response_selector`; a message
        not understood is `nlu_fallback`, as Rasa's FallbackClassifier would make it."""
        collapsed: dict[str, float] = {}
        for score in self.ranking:
            name = "faq" if score.faq_key else score.name
            collapsed[name] = max(collapsed.get(name, 0.0), score.confidence)
        ranking = [
            {"name": n, "confidence": round(c, 4)}
            for n, c in sorted(collapsed.items(), key=lambda kv: -kv[1])
        ]
        top = self.intent
        intent: dict = {
            "name": "faq" if top.faq_key else top.name,
            "confidence": round(top.confidence, 4),
        }
        if top.faq_key:
            intent["full_retrieval_intent_name"] = top.name
        if self.verdict.confidence is Confidence.LOW:
            # what Rasa's FallbackClassifier does: `nlu_fallback` on top of the ranking, so
            # a Rasa bot's `intent: nlu_fallback` rule fires (Rasa gives it the threshold
            # as confidence; the parse keeps the top intent's, since that is what it knows)
            intent = {"name": "nlu_fallback", "confidence": round(top.confidence, 4)}
            ranking.insert(0, dict(intent))
        faq_ranking = [s for s in self.ranking if s.faq_key]
        selector: dict = {"all_retrieval_intents": ["faq"] if faq_ranking else []}
        if faq_ranking:
            best = faq_ranking[0]
            texts = self.responses.get(f"utter_{best.name}", [])
            selector["faq"] = {
                "response": {
                    "responses": [{"text": t} for t in texts],
                    "confidence": round(best.confidence, 4),
                    "intent_response_key": best.name,
                    "utter_action": f"utter_{best.name}",
                },
                "ranking": [
                    {"confidence": round(s.confidence, 4), "intent_response_key": s.name}
                    for s in faq_ranking
                ],
            }
        return {
            "text": self.text,
            "intent": intent,
            "entities": [e.to_dict() | {"extractor": "pasokhgoo"} for e in self.entities],
            "intent_ranking": ranking,
            "response_selector": selector,
        }


class Interpreter:
    """A trained model, the responses and the fallback rule, ready to parse messages."""

    def __init__(
        self,
        model: NluModel,
        responses: Mapping[str, list[str]] | None = None,
        rule: FallbackRule | None = None,
        synonyms: Mapping[str, str] | None = None,
    ) -> None:
        self.model = model
        self.responses = dict(responses or {})
        self.rule = rule or FallbackRule()
        self.synonyms = {normalize(k): v for k, v in (synonyms or {}).items()}

    def rank(self, features: str) -> list[IntentScore]:
        """The classifier's calibrated ranking.

        The FAQ index does not move it: in cross-validation, adding the index's cosines
        to the classifier's probabilities gave the same precision at equal coverage as
        the classifier alone, and taking their maximum lost two points
        (docs/performance.md).
        """
        ranking = self.model.classifier.rank(features, RANKING_SIZE)
        return [IntentScore(n, float(c)) for n, c in ranking]

    def _needs_claim(self, text: str, features: str, ranking: list[IntentScore]) -> bool:
        """Whether a FAQ answer must be backed by its intent's claim (`bot.fallback`).

        Only for one word the classifier learned (itself or its Finglish reading): it has
        seen the word, so a word it claims for no intent is one its examples share out
        (ارسال، کالا). An unseen spelling (تیکط، پسازفروش) is read by its letters alone,
        which every intent claims weakly; there the ranking is the best evidence.
        """
        if not ranking or ranking[0].faq_key is None or not _one_word(text, features):
            return False
        vocabulary = self.model.classifier.word_vocabulary_
        return any(word in vocabulary for word in features.split())

    def claim(self, features: str) -> float:
        """The top intent's raw one-vs-rest score: below zero, no intent's own classifier
        takes the message for one of its examples (`bot.fallback` explains the use)."""
        return float(self.model.classifier.decision_function([features]).max())

    def parse_payload(self, text: str) -> Parse | None:
        """A button payload: the named intent at confidence 1, entities from its JSON."""
        match = _PAYLOAD.match(text.strip())
        if match is None:
            return None
        entities: list[Entity] = []
        if match["entities"]:
            try:
                values = json.loads(match["entities"])
            except json.JSONDecodeError:
                return None
            if not isinstance(values, dict):
                return None
            start, end = match.span("entities")
            entities = [Entity(str(k), str(v), start, end) for k, v in values.items()]
        intent = IntentScore(match["intent"], 1.0)
        verdict = Verdict(Confidence.CONFIDENT, "button payload")
        return Parse(text, text.strip(), [intent], entities, verdict, [], self.responses)

    def parse(self, text: str) -> Parse:
        payload = self.parse_payload(text)
        if payload is not None:
            return payload
        features = prepare(text)
        normalized = features  # what the model saw, Finglish reading included
        ranking = self.rank(features) if features else []
        claim = self.claim(features) if self._needs_claim(text, features, ranking) else None
        verdict = self.rule.judge([(s.name, s.confidence) for s in ranking], claim=claim)
        # the index only names suggestions when the bot must ask which topic is meant;
        # searching it on every message cost 20-70% of a parse (docs/performance.md)
        hits: list[Hit] = []
        if verdict.confidence is Confidence.AMBIGUOUS:
            hits = self.model.index.search_normalized(features, FAQ_CANDIDATES)
        entities = extract_entities(text)
        if self.synonyms:
            entities = [
                Entity(e.entity, self.synonyms.get(normalize(e.value), e.value), e.start, e.end)
                for e in entities
            ]
        return Parse(text, normalized, ranking, entities, verdict, hits, self.responses)
