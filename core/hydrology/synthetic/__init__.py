"""A physically based synthetic aquifer of a seasonally frozen plain (Songnen Plain, NE China).

The sample network on which training and explanation are checked: wells whose true drivers are known because
they come from counterfactual runs of the simulator that made the levels.

Weather (one regional weather, small per-well perturbations; :func:`regional_weather`)
    Air temperature (degC): a smooth climatology through Songnen monthly normals (January about -18, July
    about 23, annual mean about 4 at 46 N, colder to the north) plus year-to-year and day-to-day (AR(1))
    anomalies. Precipitation (mm/day): wet days drawn per month (few in winter, many in July), gamma amounts
    scaled to monthly normals (about 450 mm/year, two thirds of it June-August), wet and dry years.
    Potential evaporation (mm/day): Hargreaves (extraterrestrial radiation from latitude and day of year,
    temperature, diurnal range), lower on wet days, times a cloudiness and wind factor of its own that
    temperature does not explain (:func:`_radiation_factor`: weather systems of a few days, spells of weeks,
    year to year, cloudier around wet days; about 25 % day to day, 10 % on monthly means) so that
    potential evaporation and temperature are separable drivers; about 800-1000 mm/year. River stage (m a.s.l.): three
    gauges (Nen, Songhua, Second Songhua) with low ice-covered winter stage, a spring freshet at break-up, a
    summer flood season driven by basin rainfall, and wet/dry years. Pumping (m3/day): irrigation wells pump
    roughly May-August, not on rainy days, with a multi-year rise of the irrigated area; other wells have a
    small village supply (never constant, with a negligible effect on the level).

Per well, daily, fluxes in mm of water per day (the water table ``h`` in m a.s.l.; ``Sy`` specific yield):
    snow      precipitation falls as snow when T <= 0 degC; degree-day melt ``ddf * max(T, 0)``.
    frost     freezing degree-days FDD (the frost index) and, once it thaws, thawing degree-days TDD; frost
              depth ``z_f = frost_a * sqrt(FDD)`` (Stefan); thawed fraction ``sqrt(TDD / (thaw_fac * FDD))``
              (the relation of :mod:`.periods`); frozen thickness ``z_f * (1 - thawed fraction)``; a day
              below 0 degC first refreezes the thawed top. Ice-rich clayey soils thaw slowly (``thaw_fac``
              0.5-0.65: the deepest ice lasts into June-July), sandy ones fast (0.22-0.30).
    frozen    infiltration and every evaporation are cut by ``exp(-thickness / infil_k)``; blocked
              rain and melt water runs off.
    freezing  as the front deepens, water moves up from the water table into the frozen layer:
              ``1000 * frost_up * d(z_f) * exp(-max(depth - z_f, 0) / cap_len)`` (the level falls).
    thawing   the ice drains back as the layer thaws, mostly late, when the thinning layer lets it through
              (returned share = thawed fraction cubed; the level rises); a share ``thaw_gw`` reaches the
              water table, the rest stays in the soil and evaporates (the spring "return of moisture").
    soil      a linear soil store S: evaporation ``PET * S / soil_max``, percolation ``perc_k * S``; a
              vadose store with time constant ``tau_vad`` (days) turns percolation into recharge.
    water     evaporation ``min(gw_evap * PET, evap_cap) * (1 - depth / ext_depth)`` (zero below the
    table     extinction depth; ``evap_cap`` is the capillary limit of a silty-clay soil, so a water table at
              2-3 m evaporates 1-2 mm/day whatever PET is); river exchange ``1000 Sy river_cond (h - stage)``
              (negative: the river feeds the aquifer); drainage ``1000 Sy (h - base_m) / tau_base`` above
              the drainage base (ditches, depressions) and inflow ``1000 Sy (base_m - h) / tau_in`` below it
              (slow upward leakage in discharge zones); pumping ``1000 Q / pump_area`` (Q in m3/day); seepage
              where the water table reaches the surface.
    ``1000 Sy dh = recharge + thaw return to the water table - frost uptake - evaporation - river exchange
    - drainage - pumping - seepage``

Every flux and store is returned by :func:`simulate_well` with ``return_fluxes=True``: the change of storage
(snow + soil + vadose + ice + ``1000 Sy h``) equals precipitation minus the outflows (``OUTFLOWS``) to
numerical precision. Each run starts with a spin-up that repeats the first year of its own forcing, so the level
is a function of the forcing alone (memory: weeks for river wells, a year for the others).

Three dynamics types, by parameters (a third of the wells each; ``TYPE_PARAMS``):
    ``infiltration-evaporation``  saline-alkaline lowlands (Durbert, Anda, Zhenlai, ...): water table at 2-3 m
        fed slowly from below, clayey soil that draws much ice up in winter, low recharge, capillary-limited
        evaporation. The freeze-thaw cycle drives the level all year: it falls by most of a metre while the
        ground freezes, rises when the ice drains back, and the late thaw of the deepest ice and the spring
        evaporation loss of the thawed top soil still shape the early summer. Dominant driver: ``temp`` in
        every period (PET varies the level little because the evaporation is capillary-limited).
    ``infiltration-runoff``  floodplains of the Nen, Songhua and Second Songhua, 1-4 km from the bank: the level
        follows the river within one to three weeks. Dominant driver: ``river``.
    ``extraction``  well-irrigation districts (Daqing, Zhaodong, Qian'an, ...): deep water table (9-13 m),
        about 2 m of seasonal drawdown from May-August irrigation and a decline of about 0.15 m/year as
        the irrigated area grows. Dominant driver: ``pumping``.

The hard case (``create_network(drivers_together=True)``): potential evaporation follows temperature and
radiation alone, and irrigation follows the growing season and its water deficit (+-20 % from year to year), so
that pumping, evaporation and frost share one calendar, as in real irrigated, seasonally frozen plains.

Truth: for each well the periods of :mod:`.periods` (default :class:`.periods.PeriodConfig`) from its own
temperature; each driver in turn is replaced by its long-term mean over the whole series and the level is
simulated again; the effect of a driver in a period is the mean absolute level change (m) over that period's
days within the well's record (first to last reading); the driver with the largest effect dominates.
"""
from ...vocabulary import DRIVERS, TYPES
from .aquifer import OUTFLOWS, SPINUP_YEARS, STORES, AquiferParams, counterfactual_runs, simulate_well
from .network import COMMON_PARAMS, RIVERS, TRUTH_FIELDS, TYPE_PARAMS, SampleNetwork, create_network
from .weather import hargreaves_pet, regional_weather

__all__ = ["AquiferParams", "COMMON_PARAMS", "DRIVERS", "OUTFLOWS", "RIVERS", "SPINUP_YEARS", "STORES", "SampleNetwork",
           "TRUTH_FIELDS", "TYPES", "TYPE_PARAMS", "counterfactual_runs", "create_network", "hargreaves_pet",
           "regional_weather", "simulate_well"]
