"""Parse messages with a trained Rasa NLU model, in process, timing each one.

Run by bench/rasa_vs_pasokhgoo.py with the Rasa environment's Python 3.10:

    python bench/_rasa_parse.py MODEL.tar.gz messages.json predictions.json

messages.json is a list of texts; predictions.json gets, per message, the classifier's
top intent (under the FallbackClassifier's nlu_fallback, if it put one on top), the
response selector's answer key, whether Rasa fell back, and the parse time in ms.
"""

import asyncio
import json
import sys
import time


async def main(model: str, messages_path: str, out_path: str) -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    with open(messages_path, encoding="utf-8") as handle:
        messages = json.load(handle)
    await agent.parse_message("سلام")  # warm up (graph and TensorFlow functions)
    predictions = []
    for text in messages:
        started = time.perf_counter()
        parse = await agent.parse_message(text)
        elapsed_ms = (time.perf_counter() - started) * 1000
        ranking = [i for i in parse.get("intent_ranking", []) if i["name"] != "nlu_fallback"]
        top = ranking[0]["name"] if ranking else parse["intent"]["name"]
        selector = parse.get("response_selector", {})
        chosen = selector.get("faq") or selector.get("default") or {}
        key = chosen.get("response", {}).get("intent_response_key")
        predictions.append(
            {
                "intent": top,
                "response_key": key,
                "fallback": parse["intent"]["name"] == "nlu_fallback",
                "ms": elapsed_ms,
            }
        )
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(predictions, handle, ensure_ascii=False)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
