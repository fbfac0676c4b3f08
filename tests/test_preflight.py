from workshop_lib import preflight


def test_preflight_passes_on_a_ready_machine(capsys):
    assert preflight.main() == 0
    out = capsys.readouterr().out
    assert "[FAIL]" not in out and "OK: this machine is ready" in out


def test_preflight_names_what_is_wrong_and_the_fix(capsys, monkeypatch):
    monkeypatch.setitem(preflight.MIN_VERSIONS, "torch", "99.0")
    monkeypatch.setattr(preflight, "CHECKS", preflight.CHECKS[:2])
    assert preflight.main() == 1
    out = capsys.readouterr().out
    assert "[FAIL] packages: torch" in out and "older than 99.0" in out and "make lab" in out
