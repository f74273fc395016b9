import json


def bash(command: str) -> dict:
    return {"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": command}}


def test_rm_rf_root_is_denied(run_hook):
    result = run_hook("block_dangerous_commands.py", bash("rm -rf /"))
    assert result.returncode == 0
    answer = json.loads(result.stdout)["hookSpecificOutput"]
    assert answer["permissionDecision"] == "deny"
    assert "rm -rf /" in answer["permissionDecisionReason"]


def test_force_push_asks_and_read_only_git_is_allowed(run_hook):
    ask = json.loads(run_hook("block_dangerous_commands.py", bash("git push -f origin main")).stdout)
    assert ask["hookSpecificOutput"]["permissionDecision"] == "ask"
    allow = json.loads(run_hook("block_dangerous_commands.py", bash("git status")).stdout)
    assert allow["hookSpecificOutput"]["permissionDecision"] == "allow"


def test_ordinary_command_gets_no_answer(run_hook):
    result = run_hook("block_dangerous_commands.py", bash("ls -la src"))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_writing_env_file_is_blocked_with_exit_2(run_hook):
    payload = {
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "tool_input": {"file_path": "/srv/app/.env", "content": "TOKEN=x"},
    }
    result = run_hook("protect_secrets.py", payload)
    assert result.returncode == 2
    assert ".env" in result.stderr and result.stdout == ""
    payload["tool_input"]["file_path"] = "/srv/app/.env.example"
    assert run_hook("protect_secrets.py", payload).returncode == 0
