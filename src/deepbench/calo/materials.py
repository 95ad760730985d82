"""Calorimeter materials: one table of constants, each with its source, and the mixture rules.

Lengths are in cm and mass thicknesses in g/cm²; energies in MeV. ``Z`` is the mass-weighted
mean atomic number (GFlash's effective Z, ``GVFlashShowerParameterisation::GetEffZ``).

Sources
-------
[PDG-AP] Particle Data Group, "Atomic and nuclear properties of materials"
    (pdg.lbl.gov/AtomicNuclearProperties): density, X0, Molière radius R_M, critical energy Ec
    (the e⁻ value, Rossi definition), minimum ionisation dE/dx.
[PDG-34] PDG review "Passage of particles through matter", §34.4: mixture rules
    1/X0 = Σ w_j / X0_j (mass thicknesses), 1/R_M = (1/E_s) Σ w_j Ec_j / X0_j, E_s = 21.2052 MeV.
[GFLASH] Grindhammer & Peters, hep-ex/0001020, eq. for ê = 1/(1 + 0.007 (Z_abs − Z_act)) and
    F_S = X0,eff / (d_abs + d_act); Geant4 GFlashSamplingShowerParameterisation::ComputeZAX0EFFetc.
"""

from __future__ import annotations

from dataclasses import dataclass

from deepbench.errors import Problem, SpecError

E_S_MEV = 21.2052  # scale energy sqrt(4π/α) m_e c² [PDG-34]


@dataclass(frozen=True)
class Material:
    """A homogeneous medium, or the effective medium of a sampling structure.

    ``x0_cm``, ``rm_cm`` in cm; ``ec_mev`` in MeV; ``density`` in g/cm³; ``dedx_mip`` in
    MeV cm²/g. Sampling media also carry ``f_s`` (X0,eff per sampling period), ``e_hat``
    (e/mip) and ``mip_fraction`` (the active layer's share of a MIP's energy loss); homogeneous
    media have ``f_s = None``.
    """

    name: str
    density: float
    x0_cm: float
    rm_cm: float
    ec_mev: float
    z: float
    dedx_mip: float
    source: str
    f_s: float | None = None
    e_hat: float = 1.0
    mip_fraction: float = 1.0

    @property
    def x0_mass(self) -> float:
        """Radiation length as a mass thickness, g/cm²."""
        return self.x0_cm * self.density

    @property
    def sampling(self) -> bool:
        return self.f_s is not None


MATERIALS: dict[str, Material] = {
    # name: density g/cm³, X0 cm, R_M cm, Ec(e⁻) MeV, mass-weighted Z, dE/dx|min MeV cm²/g
    "PbWO4": Material("PbWO4", 8.300, 0.8903, 1.959, 9.64, 68.36, 1.229,
                      "[PDG-AP] lead tungstate; Z mass-weighted from Pb, W, O4"),
    "W": Material("W", 19.30, 0.3504, 0.9327, 7.97, 74.0, 1.145, "[PDG-AP] tungsten"),
    "Pb": Material("Pb", 11.35, 0.5612, 1.602, 7.43, 82.0, 1.122, "[PDG-AP] lead"),
    "Si": Material("Si", 2.329, 9.370, 4.944, 40.19, 14.0, 1.664, "[PDG-AP] silicon"),
}


def material(name: str, field: str = "material") -> Material:
    """The tabulated material ``name``; a :class:`SpecError` naming ``field`` otherwise."""
    if name not in MATERIALS:
        raise SpecError([Problem(field, name, "one of " + ", ".join(MATERIALS))])
    return MATERIALS[name]


def sampling_mixture(absorber: str, d_abs_mm: float, active: str, d_act_mm: float) -> Material:
    """Effective medium of an absorber/active sampling period (GFlash and PDG mixture rules).

    Mass weights w_i = d_i ρ_i / Σ d_j ρ_j. X0 and R_M follow [PDG-34] in mass thickness,
    Ec,eff = X0,eff Σ w_i Ec_i / X0_i (Geant4 GFlash), Z_eff = Σ w_i Z_i, ρ_eff = Σ d_i ρ_i / Σ d_i,
    F_S = X0,eff / (d_abs + d_act), ê = 1 / (1 + 0.007 (Z_abs − Z_act)) [GFLASH].
    """
    a, s = material(absorber, "absorber"), material(active, "active")
    mass = (d_abs_mm * a.density, d_act_mm * s.density)
    w = (mass[0] / sum(mass), mass[1] / sum(mass))
    rho = sum(mass) / (d_abs_mm + d_act_mm)
    inv_x0 = w[0] / a.x0_mass + w[1] / s.x0_mass                    # cm²/g
    x0_cm = 1.0 / inv_x0 / rho
    ec_over_x0 = w[0] * a.ec_mev / a.x0_mass + w[1] * s.ec_mev / s.x0_mass
    rm_cm = E_S_MEV / ec_over_x0 / rho
    loss = (d_abs_mm * a.density * a.dedx_mip, d_act_mm * s.density * s.dedx_mip)
    return Material(
        name=f"{absorber}/{active} {d_abs_mm:g}/{d_act_mm:g} mm", density=rho, x0_cm=x0_cm,
        rm_cm=rm_cm, ec_mev=ec_over_x0 / inv_x0, z=w[0] * a.z + w[1] * s.z,
        dedx_mip=(loss[0] + loss[1]) / sum(mass), source="mixture rules [PDG-34], [GFLASH]",
        f_s=x0_cm * 10.0 / (d_abs_mm + d_act_mm),
        e_hat=1.0 / (1.0 + 0.007 * (a.z - s.z)), mip_fraction=loss[1] / sum(loss))


def describe_table() -> str:
    """The material table as Markdown (for the README)."""
    rows = ["| material | ρ (g/cm³) | X0 (cm) | R_M (cm) | Ec (MeV) | Z | source |",
            "|---|---|---|---|---|---|---|"]
    for m in MATERIALS.values():
        rows.append(f"| {m.name} | {m.density:g} | {m.x0_cm:g} | {m.rm_cm:g} | {m.ec_mev:g} | "
                    f"{m.z:g} | {m.source} |")
    return "\n".join(rows)

