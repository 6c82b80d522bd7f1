"""Street-lighting groups of a district spec: EN 13201-2 classes and traffic profile.

A :class:`LightingGroup` is a set of identical dimmable LED luminaires on one
road that are dimmed together; its design class and the lowest class approved
for adaptive operation come from EN 13201-2 (:data:`LIGHTING_CLASS_LEVELS`),
its hourly traffic from the TNO/MACC road-traffic profile
(:data:`TNO_TRAFFIC_PROFILE`) unless the spec gives one (../shared/LIGHTING.md).
The lighting model is :mod:`energy.models.lighting`.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from energy.spec_base import Id, SpecModel

#: Traffic factors by local hour 0..23 (TNO/MACC road traffic, mean 1), see LIGHTING.md.
TNO_TRAFFIC_PROFILE: tuple[float, ...] = (
    0.19,
    0.09,
    0.06,
    0.05,
    0.09,
    0.22,
    0.86,
    1.84,
    1.86,
    1.41,
    1.24,
    1.20,
    1.32,
    1.44,
    1.45,
    1.59,
    2.03,
    2.08,
    1.51,
    1.06,
    0.74,
    0.62,
    0.61,
    0.44,
)

#: EN 13201-2 required maintained levels per class: cd/m2 (M) or lx (C, P).
LIGHTING_CLASS_LEVELS: dict[str, float] = {
    "M1": 2.0,
    "M2": 1.5,
    "M3": 1.0,
    "M4": 0.75,
    "M5": 0.50,
    "M6": 0.30,
    "C0": 50.0,
    "C1": 30.0,
    "C2": 20.0,
    "C3": 15.0,
    "C4": 10.0,
    "C5": 7.5,
    "P1": 15.0,
    "P2": 10.0,
    "P3": 7.5,
    "P4": 5.0,
    "P5": 3.0,
    "P6": 2.0,
}


def lighting_class(value: str | None) -> str | None:
    """Return an EN 13201-2 class name normalised (``" p4"`` -> ``"P4"``); None stays None.

    Raises ValueError (a pydantic field error) for a name that is not a class.
    """
    if value is None:
        return None
    key = value.strip().upper()
    if key not in LIGHTING_CLASS_LEVELS:
        raise ValueError(f"{value!r} is not an EN 13201-2 class; allowed: M1-M6, C0-C5, P1-P6")
    return key


class LightingGroup(SpecModel):
    """A group of identical dimmable LED luminaires on one road, dimmed together."""

    id: Id
    road: str = Field(min_length=1, max_length=200)
    design_class: str = Field(description="EN 13201-2 design class, e.g. M3, C3, P4")
    lowest_class: str | None = Field(
        None, description="Lowest class approved for adaptive operation (same family)"
    )
    luminaires: int = Field(gt=0, le=100000, description="Number of luminaires")
    nominal_w: float = Field(gt=0, le=2000, description="Input power per luminaire at 100 % [W]")
    driver_offset_frac: float = Field(
        0.07, ge=0, lt=0.5, description="Driver offset a in p = p_nom (a + (1-a) level) [0..1]"
    )
    standby_w: float = Field(0.5, ge=0, le=20, description="Standby power per luminaire [W]")
    min_dim_frac: float = Field(
        0.2, ge=0.05, le=1, description="Lowest dim level the drivers allow [0..1]"
    )
    traffic_profile: tuple[float, ...] = Field(
        TNO_TRAFFIC_PROFILE,
        description="Traffic relative to the design flow by local hour 0..23 (mean about 1)",
    )
    design_traffic_factor: float = Field(
        1.0, gt=0, description="Traffic factor at which the design class is required"
    )
    feeder: Id
    distance_m: float = Field(0.0, ge=0, le=5000, description="Connection point on the feeder [m]")

    @field_validator("design_class", "lowest_class")
    @classmethod
    def _known_class(cls, value: str | None) -> str | None:
        return lighting_class(value)

    @field_validator("traffic_profile")
    @classmethod
    def _traffic(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if len(value) != 24:
            raise ValueError(f"needs 24 hourly values (local hour 0..23), got {len(value)}")
        if min(value) < 0:
            raise ValueError("traffic factors must be >= 0")
        return value

    @model_validator(mode="after")
    def _class_range(self) -> LightingGroup:
        low = self.lowest_class
        if low is None:
            return self
        if low[0] != self.design_class[0]:
            raise ValueError(
                f"lowest_class {low} must be in the family of design_class "
                f"{self.design_class} ({self.design_class[0]} classes)"
            )
        if int(low[1:]) < int(self.design_class[1:]):
            raise ValueError(
                f"lowest_class {low} is brighter than design_class {self.design_class}; "
                "it must be the same or a higher class number"
            )
        return self

    @property
    def family(self) -> str:
        """Class family: 'M', 'C' or 'P'."""
        return self.design_class[0]
