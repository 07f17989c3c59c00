"""Every sentence and cell the report reads off the numbers is computed from them: change the
numbers and the words change. Diverged runs read "diverged", never a stale accuracy; captions
say "at most" when runs stopped early."""


from experiments import findings
from experiments.study import Summary
from experiments.training import RunConfig

CONFIG = RunConfig(dataset="xor", epochs=20000)


def run(correct=21, total=21, full=1000, wall=1.0, ran=20000, stopped=None, converged=None, losses=None,
        final=0.01):
    return {"train_accuracy": {"percent": 100 * correct / total, "correct": correct, "total": total},
            "test_accuracy": {"percent": 100 * correct / total, "correct": correct, "total": total},
            "epochs_to_full_accuracy": full, "epochs_to_loss_threshold": full, "wall_time_seconds": wall,
            "epochs_run": ran, "stopped": stopped, "converged": converged, "final_loss": final,
            "losses": losses or [0.3, 0.1], "loss_stride": 1}


def summary(*runs, config=CONFIG):
    return Summary(config, list(runs))


DIVERGED = run(correct=9, total=21, full=None, ran=7, stopped="the loss became nan at epoch 7", final=None)


def test_the_time_per_epoch_sentence_follows_the_numbers():
    # The case: 32 units took 3.3 s, 8 units 6.3 s, but the 32-unit run stopped early.
    narrow = ("8 units", summary(run(wall=6.3, ran=20000)))
    wide = ("32 units", summary(run(wall=3.3, ran=5000, converged="converged at epoch 5000")))
    text = findings.time_per_epoch([narrow, wide], "XOR-easy")
    assert text == "On XOR-easy an epoch cost more with more units: 0.315 ms with 8 units, 0.66 ms with 32 units " \
                   "(wall time per epoch run)."
    wide = ("32 units", summary(run(wall=3.3, ran=20000)))
    assert "an epoch cost less with more units: 0.315 ms with 8 units, 0.165 ms" in \
        findings.time_per_epoch([narrow, wide], "XOR-easy")
    wide = ("32 units", summary(run(wall=6.5, ran=20000)))
    assert "an epoch cost about the same whatever the width" in findings.time_per_epoch([narrow, wide], "XOR-easy")


def test_a_diverged_run_reads_diverged_in_every_cell():
    s = summary(DIVERGED)
    assert findings.mean_std(s, "train_accuracy") == "diverged"
    assert findings.per_seed(s, "test_accuracy") == "diverged"
    assert findings.final_loss(s) == "diverged"
    assert findings.epochs_to(s, findings.FULL) == "diverged"
    mixed = summary(run(), DIVERGED, run(correct=20))
    assert findings.mean_std(mixed, "train_accuracy") == "97.62% ± 2.38% (1 of 3 seeds diverged)"
    assert findings.per_seed(mixed, "test_accuracy") == "21/21 = 100.00%, diverged, 20/21 = 95.24%"


def test_observations_list_a_diverged_run_as_diverged_not_as_slow():
    rows = [("lr = 1", summary(DIVERGED)), ("lr = 0.1", summary(run(full=None)))]
    notes = findings.observations(rows)
    assert "Never classified every training point within 20,000 epochs: lr = 0.1." in notes
    assert "Diverged and stopped: lr = 1 (seed 0: the loss became nan at epoch 7)." in notes
    assert not any("42.86%" in n for n in notes)  # the diverged run's last accuracy is not scored


def test_the_caption_says_at_most_when_runs_stopped_early():
    full = [("a", summary(run(ran=20000)))]
    assert findings.budget_caption(full) == "20,000 epochs each"
    early = [*full, ("b", summary(run(ran=3329, converged="converged at epoch 3329")))]
    assert findings.budget_caption(early).startswith("at most 20,000 epochs each: a run stops early")
    assert findings.epochs_run(summary(run(ran=3329), run(ran=20000))) == "3,329 to 20,000"


def test_stability_and_speeds_are_read_off_the_runs():
    fast, slow = ("lr = 1", summary(run(full=1330))), ("lr = 0.1", summary(run(full=13300)))
    assert findings.stability([fast, slow], "Linear") == "On Linear none of these runs diverged."
    assert findings.stability([("lr = 1", summary(DIVERGED, run())), slow], "Linear") == \
        "On Linear these diverged: lr = 1 (1 of 2 seeds)."
    assert findings.speeds([fast, slow], "Linear") == \
        "On Linear, the epoch by which every training point was classified: 1,330 with lr = 1; 13,300 with lr = 0.1."
    assert findings.ratio(fast, slow) == "That is 10.0 times as many epochs with lr = 0.1 as with lr = 1."
    never = ("lr = 0.1", summary(run(full=None)))
    assert findings.ratio(fast, never) == ""
    assert "none within 20,000 epochs with lr = 0.1" in findings.speeds([fast, never], "Linear")


def test_the_plateau_sentence_reads_the_loss_curves():
    flat = [0.26, 0.25, 0.25, 0.249, 0.1, 0.01]
    s = summary(run(losses=flat), run(losses=[0.25] * 6))
    assert findings.plateau(s) == ("the loss sat near L = 0.25 (the network answering about 0.5 everywhere) in 2 "
                                   "of 2 runs; it first fell below 0.2 at epoch 5 (1 of 2 runs)")
    s = summary(run(losses=[0.4, 0.15, 0.05]))
    assert findings.plateau(s).startswith("the loss sat near L = 0.25 (the network answering about 0.5 everywhere) "
                                          "in 0 of 1 runs; it first fell below 0.2 at epoch 2")


def test_seed_zeros_end_is_named_in_captions():
    assert findings.stop_note(summary(run(ran=16238, converged="x"))) == "it converged and stopped at epoch 16,238"
    assert findings.stop_note(summary(DIVERGED)) == "it diverged: the loss became nan at epoch 7"
    assert findings.stop_note(summary(run(ran=20000))) == "it ran all 20,000 epochs"


def test_success_counts_count_the_seeds():
    rows = [("2 units", summary(run(full=None), run(full=None), run())),
            ("4 units", summary(run(), run(), run()))]
    assert findings.success_counts(rows, "XOR-easy") == \
        "Seeds that classified every training point of XOR-easy: 2 units: 1 of 3; 4 units: 3 of 3."
