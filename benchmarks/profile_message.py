"""Where the time of one message goes: a cProfile of the NLU pipeline.

    python -m benchmarks.profile_message [model.tar.gz] [--messages 300]

Parses held-out visitor messages with the trained model in-process and
prints the mean time per message spent in each pipeline component's
`process` (plus the whole parse), so a change to config.yml can be judged by
where it moves the time. The HTTP, dialogue and tracker-store share of a
message is the REST latency (benchmarks.run) minus this.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from staff.nlu_evaluation import load_examples, quiet_rasa_logs

PROJECT_DIR = Path(__file__).resolve().parent.parent
HOLDOUT = PROJECT_DIR / "tests" / "nlu_holdout" / "holdout.yml"


def component_times(stats: pstats.Stats, messages: int) -> Dict[str, float]:
    """Mean milliseconds per message in each component's process()."""
    times: Dict[str, float] = {}
    for (filename, _, function), (_, _, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        if function == "process" and ("/nlu/" in filename or "rasa_extensions" in filename):
            name = Path(filename).stem
            times[name] = times.get(name, 0.0) + cumulative * 1000 / messages
        if function == "parse_message" and filename.endswith("processor.py"):
            times["whole parse (processor.parse_message)"] = cumulative * 1000 / messages
    return dict(sorted(times.items(), key=lambda item: -item[1]))


async def _parse(model: Path, texts: Sequence[str], profile: cProfile.Profile) -> None:
    from rasa.core.agent import Agent

    quiet_rasa_logs()
    agent = Agent.load(str(model))
    for text in texts[:20]:
        await agent.parse_message(text)  # warm-up: caches, lazy imports
    profile.enable()
    for text in texts:
        await agent.parse_message(text)
    profile.disable()


def main(argv: Optional[List[str]] = None) -> Dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", type=Path, help="model file (default: the newest in models/)")
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args(argv)
    model = args.model or max((PROJECT_DIR / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    # Distinct texts (at most the held-out set), so the embedding cache does
    # not hide the encoder's cost.
    texts = list(dict.fromkeys(example.text for example in load_examples([HOLDOUT])))[: args.messages]
    profile = cProfile.Profile()
    asyncio.run(_parse(model, texts, profile))
    times = component_times(pstats.Stats(profile), len(texts))
    print(f"Mean time per message over {len(texts)} messages ({model.name}):")
    for name, milliseconds in times.items():
        print(f"  {milliseconds:7.2f} ms  {name}")
    return times


if __name__ == "__main__":
    main()
