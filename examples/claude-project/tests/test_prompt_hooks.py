import json


def prompt(text: str) -> dict:
    return {"hook_event_name": "UserPromptSubmit", "prompt": text}


def test_batch_prompt_gets_parallel_advice(run_hook):
    result = run_hook("detect_batch.py", prompt("Add type hints to all files in scripts/"))
    assert result.returncode == 0
    assert result.stdout.startswith("Batch operation detected")
    assert "ThreadPoolExecutor" in result.stdout
    assert run_hook("detect_batch.py", prompt("What does upkeep.py do?")).stdout == ""


def test_auto_remember_stores_a_lesson(run_hook, project):
    result = run_hook("auto_remember.py", prompt("Please remember that releases go out on Fridays."))
    assert result.stdout.strip() == "Remembered for future sessions: releases go out on Fridays"
    lines = (project / ".claude" / "memory" / "lessons.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["text"] == "releases go out on Fridays"


def test_trackers_share_session_state(run_hook, project):
    payload = prompt("/review scripts/ops/upkeep.py")
    assert run_hook("session_state_tracker.py", payload).stdout == ""
    assert run_hook("command_tracker.py", payload).stdout == ""
    state = json.loads((project / ".claude" / "memory" / "session_state.json").read_text())
    assert state["turns"] == 1
    assert state["commands"] == ["/review scripts/ops/upkeep.py"]


def test_synapses_fire_on_keywords(run_hook):
    result = run_hook("synapse_fire.py", prompt("Why is this hook so slow?"))
    assert result.stdout.splitlines()[0] == "Synapses fired:"
    assert "- hook:" in result.stdout
