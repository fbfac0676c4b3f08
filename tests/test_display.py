from workshop_lib.display import headless, print_epoch, progress_bar
from workshop_lib.network_trainer import History


def test_print_epoch_shows_the_last_epoch_numbers(capsys):
    history = History(train_loss=[0.9, 0.51234], val_loss=[0.8, 0.45678], train_accuracy=[70.0, 85.125],
                      val_accuracy=[75.0, 88.5], seconds=[1.0, 2.25])
    print_epoch(None, history)
    assert capsys.readouterr().out == (
        "epoch   2  train loss 0.5123  val loss 0.4568  train acc 85.12%  val acc 88.50%  (2.2 s)\n"
    )
    print_epoch(None, History(train_loss=[1.0], val_loss=[2.0], seconds=[3.0]))
    assert capsys.readouterr().out == "epoch   1  train loss 1.0000  val loss 2.0000  (3.0 s)\n"


def test_headless_follows_the_environment(monkeypatch):
    for value, expected in (("1", True), ("true", True), ("0", False), ("", False)):
        monkeypatch.setenv("WORKSHOP_HEADLESS", value)
        assert headless() is expected


def test_progress_bar_off_gives_the_iterable_itself_and_headless_gives_text(monkeypatch, capsys):
    batches = [1, 2, 3]
    assert progress_bar(batches, 3, "epoch 1", enabled=False) is batches
    monkeypatch.setenv("WORKSHOP_HEADLESS", "1")
    assert list(progress_bar(batches, 3, "epoch 1")) == batches
    assert "epoch 1" in capsys.readouterr().out
