"""§14a grid-fee modules 1, 2, 3 by hand (BK8-22/010-A)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from energy.errors import InputDataError
from energy.models.tariff.grid_fee_14a import GridFee14a, compare_modules, module_costs
from energy.timeindex import year_index

TZ = "Europe/Berlin"


def year_of(device_in_low_hours: bool) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """2025 hourly: 3,000 kWh other use evenly, a 4,000 kWh heat pump (all at night or evenly)."""
    index = year_index(2025, "1h", TZ)
    other = np.full(len(index), 3000.0 / len(index))
    if not device_in_low_hours:
        return index, other, np.full(len(index), 4000.0 / len(index))
    night = np.isin(np.asarray(index.tz_convert(TZ).hour), range(6))
    return index, other, np.where(night, 4000.0 / night.sum(), 0.0)


def test_modules_by_hand() -> None:
    """Energy price 0.09 EUR/kWh; module 1 flat = 80 + 0.2 x 3,750 x 0.09 = 147.50 EUR/a.

    Module 1: 0.09 x 7,000 - 147.50 = 482.50; module 2: 0.09 x 3,000 + 0.09 x
    0.4 x 4,000 + 20 (meter) = 434.00; module 3 with the pump only in the low
    hours (0.25): 0.09 x (3,000 + 0.25 x 4,000) - 147.50 = 212.50 EUR.
    """
    index, other, device = year_of(device_in_low_hours=True)
    fee = GridFee14a(energy_price_eur_per_kwh=0.09)
    assert fee.module1_reduction_eur_per_year == pytest.approx(147.5)
    costs = module_costs(other, device, index, TZ, fee)
    assert costs["e_device_kwh"] == pytest.approx(4000.0)
    assert costs["no_module_eur"] == pytest.approx(630.0)
    assert costs["module1_eur"] == pytest.approx(482.5)
    assert costs["module2_eur"] == pytest.approx(434.0)
    assert costs["module3_eur"] == pytest.approx(212.5)


def test_compare_per_household_names_the_cheapest() -> None:
    """A pump running evenly: module 3 = 0.09 x (3,000 + f x 4,000) - 147.50, f the mean level."""
    index, other, even = year_of(device_in_low_hours=False)
    _, _, night = year_of(device_in_low_hours=True)
    table = compare_modules(
        pd.DataFrame({"A": other, "B": other}, index=index),
        {"A": even, "B": night},
        TZ,
        GridFee14a(energy_price_eur_per_kwh=0.09),
        households={"A": 2},
    )
    f = (6 * 0.25 + 4 * 1.8 + 14 * 1.0) / 24
    assert table.loc["A", "module3_eur"] == pytest.approx(0.09 * (3000 + f * 4000) - 147.5)
    assert table.loc["A", "cheapest"] == "module2" and table.loc["B", "cheapest"] == "module3"
    assert table.loc["A", "module2_per_household_eur"] == pytest.approx(434.0 / 2)


def test_bad_fee_parameters_are_named() -> None:
    with pytest.raises(InputDataError, match=r"low_frac: 0\.5 is not allowed"):
        GridFee14a(low_frac=0.5)
    with pytest.raises(InputDataError, match="low_hours / high_hours"):
        GridFee14a(low_hours=(17,), high_hours=(17, 18))


def test_cli_grid_fees_json() -> None:
    import json

    from typer.testing import CliRunner

    from energy.cli.main import app
    from energy.district import DATA_DIR

    file = DATA_DIR / "gera" / "district_heat_mobility.yaml"
    out = CliRunner().invoke(
        app, ["grid-fees", str(file), "--days", "2", "--operation", "rules", "--json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout[out.stdout.index("{") :])["buildings"]
    assert len(data) == 36 and data["MF01"]["e_device_kwh"] > 0
    assert data["MF01"]["cheapest"] in ("module1", "module2", "module3")
    bad = CliRunner().invoke(app, ["grid-fees", str(file), "--days", "1", "--operation", "x"])
    assert bad.exit_code == 1 and "--operation: 'x' is not allowed" in bad.output
