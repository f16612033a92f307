"""A package's names are imported on first use: importing the package imports none of their
modules, the first use imports the one module and keeps the name, an unknown name is an
AttributeError."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from chaoskit._lazy import lazy_names


def test_a_name_is_imported_on_first_use_and_kept() -> None:
    namespace: dict[str, object] = {}
    getattr_ = lazy_names("pkg", {"dedent": "textwrap"}, namespace)
    import textwrap

    assert getattr_("dedent") is textwrap.dedent
    assert namespace == {"dedent": textwrap.dedent}


def test_an_unknown_name_is_an_attribute_error() -> None:
    getattr_ = lazy_names("pkg", {}, {})
    with pytest.raises(AttributeError, match="module 'pkg' has no attribute 'nope'"):
        getattr_("nope")
    module = types.ModuleType("pkg")
    module.__getattr__ = getattr_  # type: ignore[method-assign]
    assert not hasattr(module, "nope")


def test_importing_the_packages_imports_none_of_their_backends() -> None:
    probe = (
        "import sys, chaoskit, chaoskit.lab, chaoskit.dns; "
        "print([m for m in ('chaoskit.api', 'chaoskit.lab.local', 'chaoskit.lab.backend', "
        "'chaoskit.dns.client', 'chaoskit.runs') if m in sys.modules]); "
        "chaoskit.lab.LocalLab; print('chaoskit.lab.local' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "True"]


def test_checking_an_experiment_loads_no_http_client() -> None:
    """``chaoskit validate`` talks to no server: httpx (the DNS admin client's) and requests
    (the Toxiproxy client's) are loaded by the first call that does, about 0.1 s of each
    command's start."""
    probe = (
        "import sys; import chaoskit.cli, chaoskit.lab.open, chaoskit.experiment.load; "
        "print([m for m in ('httpx', 'requests', 'toxiproxy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
