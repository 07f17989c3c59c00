"""The flag types every CLI shares: each refuses a bad value with one line naming the range."""

import argparse
from pathlib import Path

import pytest

from experiments import flags, report


@pytest.mark.parametrize("parse, text, value", [
    (flags.positive_int, "3", 3),
    (flags.positive_int, "1e6", 10**6),  # scientific notation, when it is a whole number exactly
    (flags.positive_int, "2.5e1", 25),
    (flags.non_negative_int, "0", 0),
    (flags.positive_float, "1e-300", 1e-300),
    (flags.non_negative_float, "0", 0.0),
    (flags.finite_float, "-1.7e308", -1.7e308),
    (flags.output_folder, "runs/x", Path("runs/x")),
    (flags.output_folder, ".", Path(".")),
    (flags.utf8_text, "Kettenregel ∂f/∂x", "Kettenregel ∂f/∂x"),
])
def test_good_values_pass(parse, text, value):
    assert parse(text) == value


@pytest.mark.parametrize("parse, text, message", [
    (flags.positive_int, "0", "must be > 0, got 0"),
    (flags.positive_int, "2.5", "expected a whole number, got '2.5'"),
    (flags.positive_int, "1e-3", "expected a whole number, got '1e-3'"),
    (flags.positive_int, "1e999999999", "expected a whole number, got '1e999999999'"),
    (flags.positive_int, "inf", "expected a whole number, got 'inf'"),
    (flags.non_negative_int, "-1", "must be >= 0, got -1"),
    (flags.positive_float, "-0.0", "must be > 0, got -0.0"),
    (flags.positive_float, "inf", "must be a finite number, got inf"),
    (flags.positive_float, "Infinity", "must be a finite number, got Infinity"),
    (flags.non_negative_float, "nan", "must be a finite number, got nan"),
    (flags.non_negative_float, "-1e-9", "must be >= 0, got -1e-9"),
    (flags.finite_float, "1e400", "must be a finite number, got 1e400 (too large for a float64, which holds up to "
                                  "about 1.8e308)"),
    (flags.finite_float, "one", "expected a number, got 'one'"),
    (flags.output_folder, "", "must name a folder, got an empty path (use . for the current folder)"),
    (flags.output_folder, "  ", "must name a folder, got an empty path (use . for the current folder)"),
    (flags.output_folder, "out\udcff", "is not valid UTF-8 text (byte 0xff at position 3)"),
    (flags.utf8_text, "a\ud800", "is not valid UTF-8 text (character U+D800 at position 1)"),
])
def test_bad_values_say_what_is_allowed(parse, text, message):
    with pytest.raises(argparse.ArgumentTypeError) as err:
        parse(text)
    assert str(err.value) == message


def test_help_shows_defaults_only_where_there_is_one():
    p = argparse.ArgumentParser(formatter_class=flags.HelpFormatter)
    p.add_argument("--lr", type=float, default=0.5, help="learning rate")
    p.add_argument("--batch", type=int, help="batch size (default: everything)")
    p.add_argument("--quiet", action="store_true", help="say less")
    p.add_argument("--out", default="runs", help="where")
    text = " ".join(p.format_help().split())
    assert "learning rate (default: 0.5)" in text and "where (default: runs)" in text
    assert "(default: everything)" in text and "None" not in text and "False" not in text


def test_memory_check_names_the_size_the_flags_and_the_limit():
    parts = [("the loss curve", ("epochs",), 8 * 10**10), ("the data", ("n", "n_test"), 10**6)]
    values = {"epochs": 10**10, "n": 100, "n_test": 100}
    assert flags.memory_problem(parts, values, limit=10**12) is None
    assert flags.memory_problem(parts, values, limit=16 * 10**9) == (
        "this run needs about 80 GB of memory, most of it for the loss curve (--epochs 10000000000); "
        "the machine has 16 GB: use smaller values")
    assert flags.size_text(5.76e18) == "5,760 PB" and flags.size_text(2**32) == "4.29 GB"
    assert flags.physical_memory() > 10**8  # this machine says how much it has


def test_report_refuses_an_empty_out_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        report.main(["--out", "", "--quick"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        "error: argument --out: must name a folder, got an empty path (use . for the current folder)")
    assert list(tmp_path.iterdir()) == []
