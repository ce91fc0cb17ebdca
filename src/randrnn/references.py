"""Bibliographic registry: the papers randrnn implements, keyed as in ``docs/references.bib``.

- :func:`cite` -- BibTeX entries for the references a result carries.
"""

from __future__ import annotations

from typing import Any

REFERENCES: dict[str, str] = {
    "sompolinsky1988": (
        "@article{sompolinsky1988,\n  author = {Sompolinsky, H. and Crisanti, A. and Sommers, H. J.},\n"
        "  title = {Chaos in Random Neural Networks},\n  journal = {Phys. Rev. Lett.},\n"
        "  volume = {61}, pages = {259--262}, year = {1988}}"
    ),
    "kadmon2015": (
        "@article{kadmon2015,\n  author = {Kadmon, Jonathan and Sompolinsky, Haim},\n"
        "  title = {Transition to Chaos in Random Neuronal Networks},\n"
        "  journal = {Phys. Rev. X}, volume = {5}, pages = {041030}, year = {2015}}"
    ),
    "clark2026": (
        "@article{clark2026,\n  author = {Clark, David G.},\n"
        "  title = {Linear equivalence of nonlinear recurrent neural networks},\n"
        "  journal = {arXiv:2604.23489}, year = {2026}}"
    ),
    "shen2025": (
        "@article{shen2025,\n  author = {Shen, Xuanyu and Hu, Yu},\n"
        "  title = {Covariance spectrum of nonlinear recurrent networks},\n"
        "  journal = {arXiv:2508.05288}, year = {2025}}"
    ),
    "hu2022": (
        "@article{hu2022,\n  author = {Hu, Yu and Sompolinsky, Haim},\n"
        "  title = {The spectrum of covariance matrices of randomly connected recurrent neuronal"
        " networks with linear dynamics},\n  journal = {PLoS Comput. Biol.},\n"
        "  volume = {18}, pages = {e1010327}, year = {2022}}"
    ),
    "clark2023": (
        "@article{clark2023,\n  author = {Clark, David G. and Abbott, L. F. and Litwin-Kumar, Ashok},\n"
        "  title = {Dimension of Activity in Random Neural Networks},\n"
        "  journal = {Phys. Rev. Lett.}, volume = {131}, pages = {118401}, year = {2023}}"
    ),
    "chotibut2025": (
        "@article{chotibut2025,\n  author = {Chotibut, Thiparat and Evnin, Oleg and Horinouchi, Weerachart},\n"
        "  title = {Random matrix theory of sparse neuronal networks with heterogeneous timescales},\n"
        "  journal = {arXiv:2512.12767}, year = {2025}}"
    ),
    "neri2020": (
        "@article{neri2020,\n  author = {Neri, Izaak and Metz, Fernando Lucas},\n"
        "  title = {Linear stability analysis of large dynamical systems on random directed"
        " graphs},\n"
        "  journal = {Phys. Rev. Research}, volume = {2}, pages = {033313}, year = {2020}}"
    ),
    "gardiner2009": (
        "@book{gardiner2009,\n  author = {Gardiner, C. W.},\n  title = {Stochastic Methods},\n"
        "  publisher = {Springer}, edition = {4}, year = {2009}}"
    ),
    "walker2011": (
        "@article{walker2011,\n  author = {Walker, Homer F. and Ni, Peng},\n"
        "  title = {Anderson Acceleration for Fixed-Point Iterations},\n"
        "  journal = {SIAM J. Numer. Anal.}, volume = {49}, pages = {1715--1735}, year = {2011}}"
    ),
    "knoll2004": (
        "@article{knoll2004,\n  author = {Knoll, D. A. and Keyes, D. E.},\n"
        "  title = {Jacobian-free {Newton-Krylov} methods: a survey of approaches and"
        " applications},\n  journal = {J. Comput. Phys.}, volume = {193},"
        " pages = {357--397}, year = {2004}}"
    ),
    "pagan2023": (
        "@article{pagan2023,\n  author = {Pagan, Marino and Valente, Adrian and Ostojic, Srdjan"
        " and Brody, Carlos D.},\n  journal = {arXiv:2309.04030}, year = {2023},\n"
        "  note = {linearizing recurrent dynamics before vs after the nonlinearity; title not"
        " recorded here}}"
    ),
    "sussillo2013": (
        "@article{sussillo2013,\n  author = {Sussillo, David and Barak, Omri},\n"
        "  title = {Opening the black box: low-dimensional dynamics in high-dimensional"
        " recurrent neural networks},\n  journal = {Neural Comput.}, volume = {25},"
        " pages = {626--649}, year = {2013}}"
    ),
    "beiran2021": (
        "@article{beiran2021,\n  author = {Beiran, Manuel and Dubreuil, Alexis and Valente,"
        " Adrian and Mastrogiuseppe, Francesca and Ostojic, Srdjan},\n"
        "  title = {Shaping dynamics with multiple populations in low-rank recurrent"
        " networks},\n  journal = {Neural Comput.}, volume = {33}, pages = {1572--1615},"
        " year = {2021}, note = {arXiv:2007.02062}}"
    ),
    "valente2022": (
        "@article{valente2022,\n  author = {Valente, Adrian and Ostojic, Srdjan and"
        " Pillow, Jonathan W.},\n  title = {Probing the relationship between latent linear"
        " dynamical systems and low-rank recurrent neural network models},\n"
        "  journal = {Neural Comput.}, volume = {34}, pages = {1871--1892}, year = {2022},"
        " note = {arXiv:2110.09804}}"
    ),
}


def cite(result: Any) -> str:
    """Return the BibTeX entries for the references carried by ``result``.

    Parameters
    ----------
    result : object
        Any randrnn result with a ``references`` attribute (tuple of keys), or an iterable of keys.

    Returns
    -------
    str
        Concatenated BibTeX entries.
    """
    keys = getattr(result, "references", result)
    unknown = [k for k in keys if k not in REFERENCES]
    if unknown:
        raise ValueError(f"`references` must be keys of {sorted(REFERENCES)}; got {unknown!r}.")
    return "\n\n".join(REFERENCES[k] for k in keys)
